"""服务与需求: service projects and activities, the needs ledger (需求清单), volunteers and teams.

Periods are whitelisted keys (PERIODS) relative to meta.as_of; the needs' deadlines (working
days on the holiday calendar) come computed from the ETL (needs.deadline_date)."""
from __future__ import annotations

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.queries.filters import window
from cockpit.scope import Scope

# period key → (label, days; None = all time). Keys come back from the browser: whitelisted.
PERIODS = {"30": ("近30日", 30), "90": ("近90日", 90), "365": ("近一年", 365), "all": ("全部", None)}
DEFAULT_PERIOD = "90"
NEED_STATES = ("在办超期", "在办", "超期办结", "按期办结")
NEED_DIMENSIONS = {"domain": "业务领域", "target_group": "涉及群体", "difficulty": "难易程度",
                   "urgency": "紧急程度"}
# ordinal categories keep their natural order on the axis
CATEGORY_ORDER = {"difficulty": ("易", "中", "难"), "urgency": ("一般", "较急", "紧急")}


def period_days(key: str | None) -> int | None:
    """Days of a whitelisted period key; anything else falls back to the default period."""
    return PERIODS.get(key, PERIODS[DEFAULT_PERIOD])[1]


def period_key(key: str | None) -> str:
    return key if key in PERIODS else DEFAULT_PERIOD


def counters(wh: Snapshot, scope: Scope, days: int | None) -> dict:
    row = run(wh, "services__counters", scope, **window(wh, days).params()).iloc[0].to_dict()
    return {k: (float(v) if k == "service_hours" else int(v)) for k, v in row.items()}


def monthly(wh: Snapshot, scope: Scope, days: int | None) -> pd.DataFrame:
    return run(wh, "services__monthly", scope, **window(wh, days).params())


def top_communities(wh: Snapshot, scope: Scope, days: int | None, top: int = 10) -> pd.DataFrame:
    return run(wh, "services__top_communities", scope, **window(wh, days).params(), top=top)


def needs_breakdown(wh: Snapshot, scope: Scope, days: int | None) -> pd.DataFrame:
    return run(wh, "services__needs_breakdown", scope, **window(wh, days).params())


def needs_summary(breakdown: pd.DataFrame) -> dict:
    """Counters of the needs ledger from the breakdown's status rows (each need counted once).
    解决率 = 已解决 / registered; 办结率 = (已解决 + 无法解决) / registered, None when nothing
    was registered (undefined, not zero)."""
    rows = breakdown[breakdown["dimension"] == "status"]
    by_state = rows.groupby("state")["needs"].sum()
    by_status = rows.groupby("value")["needs"].sum()
    total = int(rows["needs"].sum())
    resolved, unable = int(by_status.get("已解决", 0)), int(by_status.get("无法解决", 0))
    return {
        "needs": total, "resolved": resolved, "unable": unable, "closed": resolved + unable,
        **{state: int(by_state.get(state, 0)) for state in NEED_STATES},
        "resolution_rate": 100.0 * resolved / total if total else None,
        "closure_rate": 100.0 * (resolved + unable) / total if total else None,
    }


def needs_open(wh: Snapshot, scope: Scope, top: int = 15) -> pd.DataFrame:
    return run(wh, "services__needs_open", scope, top=top)


def teams(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    return run(wh, "services__teams", scope)


def volunteers_by_community(wh: Snapshot, scope: Scope, top: int = 10) -> pd.DataFrame:
    return run(wh, "services__volunteers_by_community", scope, top=top)


def volunteers_by_skill(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    return run(wh, "services__volunteers_by_skill", scope)
