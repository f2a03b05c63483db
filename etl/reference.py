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
