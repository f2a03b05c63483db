"""The drill-down grid map: children of a drill position with their metrics, their polygons, and
the names along the way (breadcrumb). The position is a Scope already narrowed on the server."""
from __future__ import annotations

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.queries.filters import window
from cockpit.scope import Scope

# code length of a position → code length of the areas drawn below it (a grid shows itself)
CHILD_LEN = {4: 6, 6: 9, 9: 12, 12: 15, 15: 15}


def child_len(position: Scope) -> int:
    return CHILD_LEN[len(position.code)]


def metrics(wh: Snapshot, position: Scope, days: int) -> pd.DataFrame:
    """One row per child in force at as_of, then retired codes with events/needs in the period."""
    return run(wh, "grid_map__metrics", position, child_len=child_len(position), **window(wh, days).params())


def lineage(wh: Snapshot, scope: Scope, position: Scope) -> pd.DataFrame:
    """code, name of the viewer's scope area (if it is one) and every area down to the position."""
    return run(wh, "grid_map__lineage", scope, position=position.code)


def child_counts(wh: Snapshot, scope: Scope) -> dict[str, tuple[int, str]]:
    """area code → (number of areas in force one level down, the first of them)."""
    frame = run(wh, "grid_map__child_counts", scope)
    return {c: (int(n), first) for c, n, first in zip(frame["code"], frame["children"], frame["first_child"])}
