"""The first screen: counters and the community map."""
from __future__ import annotations

import pandas as pd

from cockpit.db import Warehouse
from cockpit.queries import run
from cockpit.scope import Scope


def generation(wh: Warehouse) -> dict:
    """Which build is being served and the instant its data run up to."""
    row = wh.query("SELECT run_id, built_at, as_of FROM meta").iloc[0]
    return {"run_id": row["run_id"], "built_at": row["built_at"], "as_of": row["as_of"]}


def kpis(wh: Warehouse, scope: Scope, days: int = 30) -> dict:
    return run(wh, "overview__kpis", scope, days=days).iloc[0].to_dict()


def rate(part: int, whole: int) -> float | None:
    """Percentage, or None when nothing was due (the rate is undefined, not zero)."""
    return 100.0 * part / whole if whole else None


def counters(wh: Warehouse, scope: Scope, days: int = 30) -> dict:
    """The first screen's numbers, with 结案率 and 按期结案率 on the 应结案 denominator."""
    k = {key: int(v) for key, v in kpis(wh, scope, days).items()}
    return {**k, "closure_rate": rate(k["closed"], k["due"]),
            "on_time_rate": rate(k["closed_on_time"], k["due"])}


def community_metrics(wh: Warehouse, scope: Scope, days: int = 30) -> pd.DataFrame:
    return run(wh, "overview__community_metrics", scope, days=days)


def community_shapes(wh: Warehouse, scope: Scope) -> pd.DataFrame:
    return run(wh, "overview__community_shapes", scope)
