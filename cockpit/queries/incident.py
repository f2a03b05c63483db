"""事中研判: the open backlog and its age, inflow against closures, the SLA clock, dispatch delay."""
from __future__ import annotations

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.queries.filters import window
from cockpit.scope import Scope


def classes(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    """class_code, class_name: the whitelist for the class filter."""
    return run(wh, "incident__classes", scope)


def counters(wh: Snapshot, scope: Scope, class_code: str | None = None, days: int = 30) -> dict:
    row = run(wh, "incident__counters", scope, class_code=class_code or None, **window(wh, days).params()).iloc[0]
    return {k: int(v) for k, v in row.items()}


def backlog_age(wh: Snapshot, scope: Scope, class_code: str | None = None) -> pd.DataFrame:
    return run(wh, "incident__backlog_age", scope, class_code=class_code or None)


def sla_clock(wh: Snapshot, scope: Scope, class_code: str | None = None) -> pd.DataFrame:
    return run(wh, "incident__sla_clock", scope, class_code=class_code or None)


def flow(wh: Snapshot, scope: Scope, class_code: str | None = None, days: int = 30) -> pd.DataFrame:
    return run(wh, "incident__flow", scope, class_code=class_code or None, **window(wh, days).params())


def dispatch_daily(wh: Snapshot, scope: Scope, class_code: str | None = None, days: int = 30) -> pd.DataFrame:
    return run(wh, "incident__dispatch_daily", scope, class_code=class_code or None, **window(wh, days).params())


def dispatch_departments(wh: Snapshot, scope: Scope, class_code: str | None = None, days: int = 30) -> pd.DataFrame:
    return run(wh, "incident__dispatch_departments", scope, class_code=class_code or None, **window(wh, days).params())
