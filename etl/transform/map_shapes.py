"""The polygons the cockpit draws, simplified once per build: table `map_shapes`.

Per level, the areas in force at the data's as-of instant are simplified together with
`shapely.coverage_simplify`, which keeps shared edges shared: any subset of a level (a district's
grids, a street's communities) then tiles without gaps, and a polygon looks the same in every view
that draws it. Two variants: `detail` at the level's own tolerance (drill-down maps, which zoom),
and `overview` at a coarser one for views of a whole city or district that do not zoom. Each row
carries the simplified WKB, the GeoJSON geometry text the cockpit sends as it is, and the bounds.
Rings are wound clockwise, as d3's spherical geometry (plotly's geo maps) expects."""
from __future__ import annotations

import logging
import math

import numpy as np
import orjson
import pandas as pd
import shapely

from etl import storage
from warehouse.areas import CODE_LENGTH
from warehouse.map_shapes import OVERVIEW_TOLERANCE, VARIANTS

log = logging.getLogger(__name__)

# simplification tolerance in degrees (about 100 m × the number): coarser for larger areas
TOLERANCE = {"district": 0.001, "street": 0.0005, "community": 0.0002, "grid": 0.00005}

COLUMNS = ("level", "variant", "tolerance", "code", "minx", "miny", "maxx", "maxy",
           "geometry_wkb", "geometry_json")


def write(con, db: str = "wh") -> None:
    """(Re)build `<db>.core.map_shapes` from `<db>.core.areas_in_force` (the areas in force at as-of)."""
    frames = []
    for level, length in CODE_LENGTH.items():
        if level not in TOLERANCE:
            continue                                     # the city has no polygon of its own
        rows = con.execute(f"""
            SELECT code, geometry_wkb FROM {db}.core.areas_in_force
            WHERE length(code) = {length}
            ORDER BY code""").fetchall()
        if not rows:
            continue
        codes = [r[0] for r in rows]
        geoms = shapely.from_wkb([bytes(r[1]) for r in rows])
        for variant in VARIANTS:
            tolerance = TOLERANCE[level] if variant == "detail" else max(TOLERANCE[level], OVERVIEW_TOLERANCE)
            frames.append(_variant(level, variant, tolerance, codes, geoms))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS))
    con.register("map_shapes_df", out)
    if db == "wh":
        storage.forget(con, "core.map_shapes")      # an incremental run's overlay: replaced whole
    con.execute(f"CREATE OR REPLACE TABLE {db}.core.map_shapes AS SELECT * FROM map_shapes_df")
    con.unregister("map_shapes_df")
    log.info("地图图形 %d 个 (map shapes, %s)", len(out), ", ".join(VARIANTS))


def stale(con, before, db: str = "wh") -> bool:
    """Whether an area started or ended between the as-of instant `before` and the current one
    (the set in force changed, so the shapes must be built again)."""
    (n,) = con.execute(f"""
        SELECT count(*) FROM {db}.core.areas a,
             (SELECT least(?::TIMESTAMP, as_of) AS lo, greatest(?::TIMESTAMP, as_of) AS hi FROM {db}.ops.meta) t
        WHERE (a.valid_from > t.lo AND a.valid_from <= t.hi) OR (a.valid_to > t.lo AND a.valid_to <= t.hi)
        """, [before, before]).fetchone()
    return n > 0


def _variant(level: str, variant: str, tolerance: float, codes: list[str], geoms) -> pd.DataFrame:
    # coordinates to a hundredth of the tolerance (1e-6° at most, about 0.1 m): coarser snapping
    # made neighbours' nearly coincident vertices disagree
    grid = max(1e-6, 10 ** math.floor(math.log10(tolerance / 100)))
    simple = shapely.set_precision(shapely.coverage_simplify(geoms, tolerance), grid)
    simple = np.array([clockwise(g) for g in simple])
    bounds = shapely.bounds(simple)
    return pd.DataFrame({
        "level": level, "variant": variant, "tolerance": tolerance, "code": codes,
        "minx": bounds[:, 0], "miny": bounds[:, 1], "maxx": bounds[:, 2], "maxy": bounds[:, 3],
        "geometry_wkb": shapely.to_wkb(simple),
        "geometry_json": [orjson.dumps(geojson_geometry(g), option=orjson.OPT_SERIALIZE_NUMPY).decode()
                          for g in simple]})


def clockwise(geom):
    if geom.is_empty:
        return geom
    if geom.geom_type == "Polygon":
        return shapely.geometry.polygon.orient(geom, sign=-1.0)
    if geom.geom_type == "MultiPolygon":
        return shapely.MultiPolygon([shapely.geometry.polygon.orient(p, sign=-1.0) for p in geom.geoms])
    return geom


def geojson_geometry(geom) -> dict:
    """A (multi)polygon's GeoJSON geometry, rings as (n, 2) arrays."""
    if geom.is_empty:
        return {"type": "Polygon", "coordinates": []}   # simplified away: nothing to draw
    if geom.geom_type == "Polygon":
        return {"type": "Polygon", "coordinates": _rings(geom)}
    if geom.geom_type == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [_rings(p) for p in geom.geoms if not p.is_empty]}
    return {"type": "Polygon", "coordinates": []}       # not a polygon: nothing to draw


def _rings(polygon) -> list[np.ndarray]:
    return [shapely.get_coordinates(polygon.exterior)] + [
        shapely.get_coordinates(ring) for ring in polygon.interiors]
