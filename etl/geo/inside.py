"""Is a point inside its grid? The one definition the ETL's check (etl/load/points.py) and the dirty
generator's expectations share.

Distances are measured in metres in UTM zone 52N (METRIC_CRS): a point counts as inside its grid
when it lies within TOLERANCE_M of the polygon. The tolerance absorbs GPS jitter and boundaries
digitised at a different scale; it is far below the few hundred metres by which a GCJ-02 point
misses its WGS-84 position, so such a point is caught whenever it leaves its grid by more."""
from __future__ import annotations

from functools import cache

import numpy as np
import shapely
from pyproj import Transformer

from etl.geo.crs import CANONICAL_CRS, METRIC_CRS

TOLERANCE_M = 25.0


@cache
def _to_metric() -> Transformer:
    return Transformer.from_crs(CANONICAL_CRS, METRIC_CRS, always_xy=True)


def metric_geometries(geoms) -> np.ndarray:
    """WGS-84 geometries in metres, prepared for repeated predicates."""
    out = shapely.transform(np.asarray(geoms), lambda xy: np.column_stack(
        _to_metric().transform(xy[:, 0], xy[:, 1])))
    shapely.prepare(out)
    return out


def inside(metric_geoms, lon, lat, tolerance_m: float = TOLERANCE_M) -> np.ndarray:
    """Element-wise: point (lon, lat) within `tolerance_m` of its geometry (already metric).
    Nearly every point lies inside its polygon, which the prepared test answers from the
    coordinates alone; only the rest are made points and measured."""
    metric_geoms = np.asarray(metric_geoms)
    x, y = _to_metric().transform(np.asarray(lon, float), np.asarray(lat, float))
    out = shapely.contains_xy(metric_geoms, x, y)
    rest = ~out
    if rest.any():
        out[rest] = shapely.dwithin(metric_geoms[rest], shapely.points(x[rest], y[rest]), tolerance_m)
    return out
