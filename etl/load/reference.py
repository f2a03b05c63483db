"""Reference data shipped with the project (data/reference/)."""
from __future__ import annotations

import pandas as pd

from etl.contract import CATEGORY_HEADERS
from etl.paths import EVENT_CATEGORIES_CSV


def load_event_categories() -> pd.DataFrame:
    """The event taxonomy: class, subclass, handling limit and its unit, department, board."""
    cats = pd.read_csv(EVENT_CATEGORIES_CSV, dtype=str).rename(columns=CATEGORY_HEADERS)
    cats["limit_value"] = cats["limit_value"].astype(int)
    return cats


def load(con) -> None:
    """wh.core.event_categories, the taxonomy the events are checked against."""
    cats = load_event_categories()
    con.register("cats", cats)
    con.execute("CREATE TABLE wh.core.event_categories AS SELECT * FROM cats")
    con.unregister("cats")
