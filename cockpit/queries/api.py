"""The open read API's queries (cockpit/api): the event taxonomy, service requests and KPIs per
area and month, each a page with the count of all matching rows. Parameters arrive here already
checked (cockpit/api/params.py); the jurisdiction is the token's Scope, bound by run."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.scope import Scope


def services(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    return run(wh, "api__services", scope)


def requests(wh: Snapshot, scope: Scope, *, ids: list[str] | None = None,
             service_codes: list[str] | None = None, status: str | None = None,
             start: dt.datetime | None = None, end: dt.datetime | None = None,
             limit: int, offset: int) -> tuple[pd.DataFrame, int]:
    """(the page's events, how many match in all). `start`/`end` are local (UTC+8) instants."""
    frame = run(wh, "api__requests", scope, ids=ids, service_codes=service_codes, status=status,
                start=start, end=end, limit=int(limit), offset=int(offset))
    return _page(frame, "event_id")


def kpis(wh: Snapshot, scope: Scope, *, level: str, start: dt.date, stop: dt.date,
         limit: int, offset: int) -> tuple[pd.DataFrame, int]:
    """(the page's rows of mart.area_kpis_monthly, how many match in all), months start..stop."""
    frame = run(wh, "api__kpis", scope, level=level, start=start, stop=stop,
                limit=int(limit), offset=int(offset))
    return _page(frame, "code")


def _page(frame: pd.DataFrame, key: str) -> tuple[pd.DataFrame, int]:
    total = int(frame["total"].iloc[0]) if len(frame) else 0
    return frame[frame[key].notna()].drop(columns="total").reset_index(drop=True), total
