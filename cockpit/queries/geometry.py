"""The polygons the maps draw, as the ETL simplified them (etl/transform/map_shapes.py)."""
from __future__ import annotations

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.scope import Scope
from warehouse.map_shapes import OVERVIEW_TOLERANCE


def variant(extent_deg: float, canvas_px: int | None) -> str:
    """`overview` when a pixel of a map `canvas_px` wide showing that extent is at least the
    overview tolerance (a whole city on one screen); `detail` otherwise, or for a map that zooms
    (no px)."""
    return "overview" if canvas_px and extent_deg / canvas_px >= OVERVIEW_TOLERANCE else "detail"


def extent(wh: Snapshot, scope: Scope, level: str) -> tuple[float, float, float, float] | None:
    row = run(wh, "geometry__extent", scope, level=level).iloc[0]
    return None if pd.isna(row["minx"]) else tuple(float(row[k]) for k in ("minx", "miny", "maxx", "maxy"))


def layer(wh: Snapshot, scope: Scope, level: str, variant_: str) -> pd.DataFrame:
    """code, geometry_json of one level inside the scope."""
    return run(wh, "geometry__layer", scope, level=level, variant=variant_)


def outlines(wh: Snapshot, scope: Scope, level: str, variant_: str) -> pd.DataFrame:
    """code, geometry_wkb of one level inside the scope."""
    return run(wh, "geometry__outlines", scope, level=level, variant=variant_)


def by_codes(wh: Snapshot, scope: Scope, codes: list[str]) -> pd.DataFrame:
    """code, geometry_json of the listed areas inside the scope."""
    return run(wh, "geometry__by_codes", scope, codes=[str(c) for c in codes])
