"""简报 (the daily and weekly briefing): its numbers, from the served generation, limited to the
briefing's area like every query. Periods and cut-offs are explained in briefing__periods.sql."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run, warning as warning_q
from cockpit.scope import Scope

WEEKS = 8            # the periods a briefing is held against: the same period of the 8 weeks before
# the level below an area, by code length (a grid has none: its subclasses stand in)
CHILD_LENGTH = {4: 6, 6: 9, 9: 12, 12: 15}


def periods(wh: Snapshot, scope: Scope, last_day: dt.date, days: int, cutoff: dt.datetime,
            child_len: int | None = None, by_subclass: bool = False) -> pd.DataFrame:
    """code, k (0 = the briefing's period, 1…WEEKS = the weeks before) and the period's counts."""
    return run(wh, "briefing__periods", scope, last_day=last_day, days=int(days), weeks=WEEKS,
               cutoff=cutoff, child_len=int(child_len or len(scope.code)), by_subclass=bool(by_subclass))


def overdue_by_department(wh: Snapshot, scope: Scope, cutoff: dt.datetime) -> pd.DataFrame:
    return run(wh, "briefing__overdue_departments", scope, cutoff=cutoff)


def area_names(wh: Snapshot, scope: Scope, codes) -> dict[str, str]:
    codes = [str(c) for c in codes]
    if not codes:
        return {}
    names = run(wh, "briefing__area_names", scope, codes=codes)
    return dict(zip(names["code"], names["name"]))


def screen(wh: Snapshot, scope: Scope, first_day: dt.date, last_day: dt.date) -> pd.DataFrame | None:
    """The incidents on the early-warning screen in the period, or None without warning tables."""
    if not warning_q.available(wh, scope):
        return None
    return run(wh, "briefing__screen", scope, first_day=first_day, last_day=last_day)


def incident_days(wh: Snapshot, scope: Scope, ids, first_day: dt.date, last_day: dt.date) -> pd.DataFrame:
    return run(wh, "briefing__incident_days", scope, ids=[str(i) for i in ids],
               first_day=first_day, last_day=last_day)
