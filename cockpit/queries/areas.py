"""The area hierarchy (district → street → community → grid) as the viewer may see it."""
from __future__ import annotations

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.scope import Scope
from warehouse.areas import CODE_LENGTH


def level_of(code: str) -> str:
    return {v: k for k, v in CODE_LENGTH.items()}[len(code)]


def in_scope(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    """code, name, level, kind, parent_code, centroid of every current area in the scope."""
    return run(wh, "areas__in_scope", scope)


def options(wh: Snapshot, scope: Scope, levels=("district", "street", "community")) -> list[dict]:
    """Dropdown options for an area filter: the scope itself first, then its areas indented."""
    areas = in_scope(wh, scope)
    indent = {"district": "", "street": "　", "community": "　　", "grid": "　　　"}
    rows = areas[areas["level"].isin(levels)]
    return [{"label": scope.name, "value": scope.code}] + [
        {"label": f"{indent[r.level]}{r.name}", "value": r.code} for r in rows.itertuples()]


def name_of(wh: Snapshot, scope: Scope, code: str) -> str:
    areas = in_scope(wh, scope)
    hit = areas.loc[areas["code"] == code, "name"]
    return hit.iloc[0] if len(hit) else scope.name
