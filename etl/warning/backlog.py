"""The backlog at each day's end, per area of one level (and subclass), for the rules on open or
overdue items: a report is open from the day it came in until the day it was closed, and overdue
from its deadline's day until the day it was handled (as `mart.event_sla` counts at as-of);
reports not accepted (不予立案) are neither. Counted by +1/−1 at each interval's ends and summed
along the days, so three years cost one pass over the reports."""
from __future__ import annotations

import numpy as np
import pandas as pd

from etl.warning.series import Calendar
from warehouse.areas import CITY_CODE

AREA_COLUMN = {"grid": "grid_code", "community": "community_code", "street": "street_code",
               "district": "district_code", "city": f"'{CITY_CODE}'"}
INTERVAL = {"open": ("reported_at", "closed_at"), "overdue": ("deadline", "handled_at")}


def history(con, cal: Calendar, rule, first: int, db: str = "wh") -> pd.DataFrame:
    """area_code, subclass_code (None for "all"), day (index), value at the day's end, and the
    median of the rule's history_days days before (NaN for the first)."""
    start, end = INTERVAL[rule.metric]
    area = AREA_COLUMN[rule.level]
    by_sub = rule.subclass != "all"
    sub = "subclass_code" if by_sub else "NULL"
    lo = max(0, first - rule.history_days)
    day0 = str(cal.days[lo])
    where = "AND subclass_code = ?" if rule.subclass not in ("all", "*") else ""
    params = [day0, day0] + ([rule.subclass] if where else [])
    frame = con.execute(f"""
        WITH spans AS (
            SELECT {area} AS area_code, {sub} AS subclass_code,
                   greatest(date_diff('day', ?::DATE, {start}::DATE), 0) AS a,
                   CASE WHEN {end} IS NULL THEN NULL ELSE date_diff('day', ?::DATE, {end}::DATE) END AS b
            FROM {db}.core.events
            WHERE status <> '不予立案' AND {start} IS NOT NULL {where}
        )
        SELECT area_code, subclass_code, a AS day, count(*)::INTEGER AS delta FROM spans
        WHERE b IS NULL OR b > a GROUP BY ALL
        UNION ALL
        SELECT area_code, subclass_code, b AS day, -count(*)::INTEGER FROM spans
        WHERE b IS NOT NULL AND b > a AND b >= 0 GROUP BY ALL""", params).df()
    n = len(cal.days) - lo
    frame = frame[(frame["day"] < n) & frame["area_code"].notna()]
    keys = frame[["area_code", "subclass_code"]].drop_duplicates().reset_index(drop=True)
    if keys.empty:
        return pd.DataFrame(columns=["area_code", "subclass_code", "day", "value", "reference"])
    index = pd.MultiIndex.from_frame(keys)
    at = index.get_indexer(pd.MultiIndex.from_frame(frame[["area_code", "subclass_code"]]))
    delta = np.zeros((len(keys), n))
    np.add.at(delta, (at, frame["day"].to_numpy(int)), frame["delta"].to_numpy(float))
    value = np.cumsum(delta, axis=1)
    reference = (pd.DataFrame(value.T).rolling(rule.history_days, min_periods=rule.history_days // 2)
                 .median().shift(1).to_numpy().T)
    keep = slice(first - lo, n)
    days = np.arange(first, len(cal.days))
    out = pd.DataFrame({"area_code": np.repeat(keys["area_code"].to_numpy(), len(days)),
                        "subclass_code": np.repeat(keys["subclass_code"].to_numpy(), len(days)),
                        "day": np.tile(days, len(keys)), "value": value[:, keep].ravel(),
                        "reference": reference[:, keep].ravel()})
    return out[out["value"] >= rule.threshold].reset_index(drop=True)
