"""预警研判: the early-warning tables the ETL writes into each generation (etl/warning/build.py):
the incidents of the warning window with today's screen among them, their alerts and course, the
screen's history and the replay's measured quality. An incident is seen from the areas
warning.incident_areas names (its main area, and its grids for an incident of grids or a
community): every query checks it there. The method quality has no area. A generation built
with early warning off has no such tables: the page then says so instead of failing."""
from __future__ import annotations

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.scope import Scope
from warehouse.areas import CODE_LENGTH

# tables of the schema `warning`
REQUIRED = {"incidents", "incident_areas", "incident_grids", "alerts", "incident_days", "screen"}
QUALITY = "quality"


def tables(wh: Snapshot, scope: Scope) -> set[str]:
    return set(run(wh, "warning__tables", scope)["table_name"])


def available(wh: Snapshot, scope: Scope) -> bool:
    return REQUIRED <= tables(wh, scope)


def lag(wh: Snapshot, scope: Scope) -> tuple | None:
    """(the warnings' as-of, the data's) while the warnings are those of earlier data, else None."""
    if "meta" not in tables(wh, scope):
        return None
    rows = run(wh, "warning__lag", scope)
    return None if rows.empty else (rows["warning_as_of"].iloc[0], rows["data_as_of"].iloc[0])


def incidents(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    """Every incident of the window the viewer sees; today's screen first (on_screen)."""
    return run(wh, "warning__incidents", scope)


def incident_alerts(wh: Snapshot, scope: Scope, incident_id: str) -> pd.DataFrame:
    return run(wh, "warning__incident_alerts", scope, incident_id=str(incident_id or ""))


def incident_areas(wh: Snapshot, scope: Scope, incident_id: str) -> list[str]:
    """The areas an incident is seen from (empty when the viewer does not see it)."""
    return list(run(wh, "warning__incident_areas", scope, incident_id=str(incident_id or ""))["area_code"])


def incident_days(wh: Snapshot, scope: Scope, incident_id: str) -> pd.DataFrame:
    return run(wh, "warning__incident_days", scope, incident_id=str(incident_id or ""))


def screen_days(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    return run(wh, "warning__screen_days", scope)


# the map's base layer by the viewer's scope (code length): streets for the whole city (its 1,764
# communities were 1.3 MB), communities for a district or street, grids below
BASE_LEVEL_LENGTH = {4: 9, 6: 12, 9: 12, 12: 15, 15: 15}


def base_level(scope: Scope) -> str:
    """The level of the map's base layer for a scope (streets for the city, …)."""
    length = BASE_LEVEL_LENGTH[len(scope.code)]
    return next(level for level, n in CODE_LENGTH.items() if n == length)


def map_areas(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    """The map's base layer (BASE_LEVEL_LENGTH) with the incidents on today's screen in each area."""
    return run(wh, "warning__map_areas", scope, area_len=BASE_LEVEL_LENGTH[len(scope.code)])


def map_grids(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    """Grids an incident on today's screen covers."""
    return run(wh, "warning__map_grids", scope)


def incident_area(wh: Snapshot, scope: Scope, incident_id: str) -> pd.DataFrame:
    return run(wh, "warning__incident_area", scope, incident_id=str(incident_id or ""))


def quality(wh: Snapshot, scope: Scope) -> pd.DataFrame | None:
    """The replay's measured quality, or None when this generation has none."""
    if QUALITY not in tables(wh, scope):
        return None
    return run(wh, "warning__quality", scope)
