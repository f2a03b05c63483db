"""The big screen's numbers: counters, the community map, the left and right columns, the boards."""
from __future__ import annotations

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.queries.filters import window
from cockpit.scope import Scope

BOARDS = ("党建", "平安", "民生", "企业")


def kpis(wh: Snapshot, scope: Scope, days: int = 30) -> dict:
    return run(wh, "screen__kpis", scope, **window(wh, days).params()).iloc[0].to_dict()


def rate(part: int, whole: int) -> float | None:
    """Percentage, or None when nothing was due (the rate is undefined, not zero)."""
    return 100.0 * part / whole if whole else None


def counters(wh: Snapshot, scope: Scope, days: int = 30) -> dict:
    """The first screen's numbers, with 结案率 and 按期结案率 on the 应结案 denominator."""
    k = {key: int(v) for key, v in kpis(wh, scope, days).items()}
    return {**k, "closure_rate": rate(k["closed"], k["due"]),
            "on_time_rate": rate(k["closed_on_time"], k["due"])}


def workload(wh: Snapshot, scope: Scope) -> dict:
    return {k: int(v) for k, v in run(wh, "screen__workload", scope).iloc[0].items()}


# the map's level → the code length of its areas
AREA_LEN = {"community": 12, "grid": 15}


def map_level(wh: Snapshot, scope: Scope) -> str:
    """What the screen's map draws for a jurisdiction: its communities when it holds more than
    one, else its grids when more than one, else ("points") the events on its one grid."""
    row = run(wh, "screen__map_level", scope).iloc[0]
    return "community" if row["communities"] > 1 else "grid" if row["grids"] > 1 else "points"


def area_metrics(wh: Snapshot, scope: Scope, level: str, days: int = 30) -> pd.DataFrame:
    """One row per community or grid (AREA_LEN) in the jurisdiction, in force at as-of."""
    return run(wh, "screen__area_metrics", scope, child_len=AREA_LEN[level], **window(wh, days).params())


def event_points(wh: Snapshot, scope: Scope, days: int = 30, limit: int = 5000) -> pd.DataFrame:
    """The period's events with their coordinates, newest first (address not yet scrubbed)."""
    return run(wh, "screen__event_points", scope, **window(wh, days).params(), limit=limit)


CARE_GROUPS = {"elderly_alone": "独居老人", "low_income": "低保", "disabled": "残疾人"}


def care_groups(wh: Snapshot, scope: Scope) -> dict[str, int]:
    """重点关爱对象 by group (CARE_GROUPS, as notebook 02 defines them: counted per tag)."""
    row = run(wh, "screen__care_groups", scope).iloc[0]
    return {k: int(row[k]) for k in CARE_GROUPS}


def sources(wh: Snapshot, scope: Scope, days: int = 30) -> pd.DataFrame:
    return run(wh, "screen__sources", scope, **window(wh, days).params())


def daily(wh: Snapshot, scope: Scope, days: int = 30) -> pd.DataFrame:
    return run(wh, "screen__daily", scope, **window(wh, days).params())


def top_subclasses(wh: Snapshot, scope: Scope, days: int = 30, limit: int = 8) -> pd.DataFrame:
    return run(wh, "screen__top_subclasses", scope, **window(wh, days).params(), limit=limit)


def open_items(wh: Snapshot, scope: Scope, limit: int = 6, overdue_only: bool = False) -> pd.DataFrame:
    """Open cases, overdue first (longest past its deadline on top), then nearest their deadline."""
    return run(wh, "screen__open_items", scope, limit=int(limit), overdue_only=bool(overdue_only))


def board_events(wh: Snapshot, scope: Scope, days: int = 30) -> dict[str, dict]:
    """{board: its event counts and closure rate}, every board of BOARDS (zeros where none)."""
    counts = run(wh, "screen__board_events", scope, **window(wh, days).params()).set_index("board")
    out = {}
    for board in BOARDS:
        row = ({k: int(v) for k, v in counts.loc[board].items()} if board in counts.index
               else dict.fromkeys(("reported", "open", "overdue_open", "due", "closed"), 0))
        out[board] = {**row, "closure_rate": rate(row["closed"], row["due"])}
    return out


def board_daily(wh: Snapshot, scope: Scope, board: str, days: int = 30) -> pd.DataFrame:
    if board not in BOARDS:
        raise ValueError(f"unknown board {board!r}")
    return run(wh, "screen__board_daily", scope, board=board, **window(wh, days).params())


def register(wh: Snapshot, scope: Scope) -> dict:
    row = run(wh, "screen__register", scope).iloc[0]
    return {k: (float(v) if k == "volunteer_hours" else int(v)) for k, v in row.items()}


def activities_monthly(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    return run(wh, "screen__activities_monthly", scope)
