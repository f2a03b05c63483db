"""流转时效: time per workflow stage, GB/T 30428 KPIs per area and department, the overdue list."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.scope import Scope

LEVELS = ("district", "street", "community", "grid")      # the level selector's whitelist


def default_level(scope: Scope) -> str:
    """The level below the area (the city's districts, a district's streets, …; a grid's own)."""
    below = {4: "district", 6: "street", 9: "community", 12: "grid", 15: "grid"}
    return below[len(scope.code)]


def months(wh: Snapshot, scope: Scope) -> list[dt.date]:
    """Months with cases in the scope, newest first."""
    return [pd.Timestamp(m).date() for m in run(wh, "workflow__months", scope)["month"]]


def departments(wh: Snapshot, scope: Scope) -> list[str]:
    return run(wh, "workflow__departments", scope)["department"].tolist()


def period(start: dt.date, end: dt.date) -> dict:
    """Bound parameters of the months start..end inclusive: [$start, $stop)."""
    start, end = min(start, end), max(start, end)
    stop = dt.date(end.year + end.month // 12, end.month % 12 + 1, 1)
    return {"start": dt.datetime.combine(start, dt.time()), "stop": dt.datetime.combine(stop, dt.time())}


def stage_times(wh: Snapshot, scope: Scope, start, end, department: str = "") -> pd.DataFrame:
    return run(wh, "workflow__stage_times", scope, department=department or None, **period(start, end))


def totals(wh: Snapshot, scope: Scope, start, end) -> dict:
    return {k: int(v) for k, v in run(wh, "workflow__totals", scope, **period(start, end)).iloc[0].items()}


def area_kpis(wh: Snapshot, scope: Scope, level: str, start, end) -> pd.DataFrame:
    if level not in LEVELS:
        raise ValueError(f"not a level: {level!r}")
    return run(wh, "workflow__area_kpis", scope, level=level, **period(start, end))


def department_kpis(wh: Snapshot, scope: Scope, start, end) -> pd.DataFrame:
    return run(wh, "workflow__department_kpis", scope, **period(start, end))


def overdue(wh: Snapshot, scope: Scope, page: int, page_size: int, department: str = "") -> pd.DataFrame:
    return run(wh, "workflow__overdue", scope, department=department or None,
               limit=int(page_size), offset=int(page) * int(page_size))


def overdue_count(wh: Snapshot, scope: Scope, department: str = "") -> int:
    return int(run(wh, "workflow__overdue_count", scope, department=department or None)["n"].iloc[0])
