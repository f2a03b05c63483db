"""预警研判: the early-warning tables the ETL writes into each generation (etl/warning/build.py):
active alerts, space-time clusters, incidents with their after-analysis, method quality. Every
row is limited to the viewer's jurisdiction (the area code inside the scope), except the method
quality, which has no area. A generation built before the module has no warning tables: the
page then says so instead of failing."""
from __future__ import annotations

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.scope import Scope
from etl.area_levels import CODE_LENGTH

REQUIRED = {"warning_alerts", "warning_clusters", "warning_incidents", "warning_incident_days"}
QUALITY = "warning_quality"


def tables(wh: Snapshot, scope: Scope) -> set[str]:
    return set(run(wh, "warning__tables", scope)["table_name"])


def available(wh: Snapshot, scope: Scope) -> bool:
    return REQUIRED <= tables(wh, scope)


def lag(wh: Snapshot, scope: Scope) -> tuple | None:
    """(the warnings' as-of, the data's) while the warnings are those of earlier data, else None
    (a generation built before warning_meta has its own warnings)."""
    if "warning_meta" not in tables(wh, scope):
        return None
    rows = run(wh, "warning__lag", scope)
    return None if rows.empty else (rows["warning_as_of"].iloc[0], rows["data_as_of"].iloc[0])


def alerts(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    return run(wh, "warning__alerts", scope)


def clusters(wh: Snapshot, scope: Scope, days: int = 30) -> pd.DataFrame:
    return run(wh, "warning__clusters", scope, days=int(days))


def incidents(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    return run(wh, "warning__incidents", scope)


def incident_days(wh: Snapshot, scope: Scope, incident_id: str) -> pd.DataFrame:
    return run(wh, "warning__incident_days", scope, incident_id=str(incident_id or ""))


# the map's base layer by the viewer's scope (code length): streets for the whole city (its 1,764
# communities were 1.3 MB), communities for a district or street, grids below
BASE_LEVEL_LENGTH = {4: 9, 6: 12, 9: 12, 12: 15, 15: 15}


def base_level(scope: Scope) -> str:
    """The level of the map's base layer for a scope (streets for the city, …)."""
    length = BASE_LEVEL_LENGTH[len(scope.code)]
    return next(level for level, n in CODE_LENGTH.items() if n == length)


def map_areas(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    """The map's base layer (BASE_LEVEL_LENGTH) with the active alerts on or inside each area."""
    return run(wh, "warning__map_areas", scope, area_len=BASE_LEVEL_LENGTH[len(scope.code)])


def map_grids(wh: Snapshot, scope: Scope, days: int = 30) -> pd.DataFrame:
    """Grids a grid-level alert or a recent space-time cluster names."""
    return run(wh, "warning__map_grids", scope, days=int(days))


def incident_area(wh: Snapshot, scope: Scope, incident_id: str) -> pd.DataFrame:
    return run(wh, "warning__incident_area", scope, incident_id=str(incident_id or ""))


def quality(wh: Snapshot, scope: Scope) -> pd.DataFrame | None:
    """The method-quality table, or None when this generation has none."""
    if QUALITY not in tables(wh, scope):
        return None
    return run(wh, "warning__quality", scope)
