"""Coordinate reference systems: WGS-84 (canonical) <-> GCJ-02 (AMap / Gaode).

The project's canonical CRS is WGS-84 longitude/latitude (EPSG:4326). CGCS2000
(EPSG:4490), the Chinese national datum, agrees with WGS-84 to within a few
centimetres, which is far below anything the cockpit displays, so the two are
treated as the same system and everything is stored as EPSG:4326.

Web maps published in China (AMap/Gaode, Tencent, ...) use GCJ-02, an
obfuscated variant of WGS-84 that is shifted by a few hundred metres. The
reference district boundaries (``data/reference``) come from AMap and are
therefore GCJ-02; :func:`gcj02_to_wgs84` converts them.

The forward transform is the widely published "eviltransform" formula
(Krasovsky ellipsoid a = 6378245.0, ee = 0.00669342162296594323); the inverse
is computed iteratively (fixed-point iteration on the forward transform) to
better than 1e-7 degrees, not with the usual one-step approximation that is
off by up to a couple of metres.

All functions are vectorised with numpy: they accept scalars or arrays and
return the same shape (Python floats for scalar input).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import shapely

__all__ = [
    "CANONICAL_CRS",
    "METRIC_CRS",
    "GCJ02_A",
    "GCJ02_EE",
    "out_of_china",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "transform_geometry",
    "geometry_gcj02_to_wgs84",
    "geometry_wgs84_to_gcj02",
]

#: Canonical CRS of every layer the project stores (WGS-84 ~ CGCS2000 lon/lat).
CANONICAL_CRS = "EPSG:4326"
#: Metric CRS used for areas and distances around Jilin City (UTM zone 52N).
METRIC_CRS = "EPSG:32652"

GCJ02_A = 6378245.0
GCJ02_EE = 0.00669342162296594323

_PI = np.pi


def _as_arrays(lon, lat):
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    scalar = lon_a.ndim == 0 and lat_a.ndim == 0
    lon_a, lat_a = np.broadcast_arrays(lon_a, lat_a)
    return lon_a, lat_a, scalar


def _ret(lon, lat, scalar):
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def out_of_china(lon, lat):
    """Boolean mask: True where the point is outside the GCJ-02 bounding box of China."""
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    return (lon_a < 72.004) | (lon_a > 137.8347) | (lat_a < 0.8293) | (lat_a > 55.8271)


def _transform_lat(x, y):
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * _PI) + 20.0 * np.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * _PI) + 40.0 * np.sin(y / 3.0 * _PI)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * _PI) + 320.0 * np.sin(y * _PI / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x, y):
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * _PI) + 20.0 * np.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * _PI) + 40.0 * np.sin(x / 3.0 * _PI)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * _PI) + 300.0 * np.sin(x / 30.0 * _PI)) * 2.0 / 3.0
    return ret


def _delta(lon, lat):
    """GCJ-02 offset (dlon, dlat) in degrees at WGS-84 point (lon, lat)."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * _PI
    magic = np.sin(rad_lat)
    magic = 1.0 - GCJ02_EE * magic * magic
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((GCJ02_A * (1.0 - GCJ02_EE)) / (magic * sqrt_magic) * _PI)
    dlon = (dlon * 180.0) / (GCJ02_A / sqrt_magic * np.cos(rad_lat) * _PI)
    return dlon, dlat


def _forward(lon, lat):
    dlon, dlat = _delta(lon, lat)
    outside = out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def wgs84_to_gcj02(lon, lat):
    """WGS-84 -> GCJ-02. Points outside China are returned unchanged."""
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    out_lon, out_lat = _forward(lon_a, lat_a)
    return _ret(out_lon, out_lat, scalar)


def gcj02_to_wgs84(lon, lat, *, tol: float = 1e-10, max_iter: int = 50):
    """GCJ-02 -> WGS-84 by fixed-point iteration on the forward transform.

    Converges to ``tol`` degrees (default 1e-10, i.e. ~0.01 mm); the forward
    offset varies slowly, so 3-5 iterations are typical. Points outside China
    are returned unchanged.
    """
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    w_lon = lon_a.copy()
    w_lat = lat_a.copy()
    for _ in range(max_iter):
        g_lon, g_lat = _forward(w_lon, w_lat)
        e_lon = g_lon - lon_a
        e_lat = g_lat - lat_a
        w_lon = w_lon - e_lon
        w_lat = w_lat - e_lat
        if w_lon.size == 0 or max(np.max(np.abs(e_lon)), np.max(np.abs(e_lat))) < tol:
            break
    outside = out_of_china(lon_a, lat_a)
    w_lon = np.where(outside, lon_a, w_lon)
    w_lat = np.where(outside, lat_a, w_lat)
    return _ret(w_lon, w_lat, scalar)


def transform_geometry(geom, func: Callable):
    """Apply a vectorised ``func(lon, lat) -> (lon, lat)`` to every vertex.

    ``geom`` may be a shapely geometry, an array of geometries or a GeoSeries
    (returned as a GeoSeries with the same index and CRS). Topology is kept as
    is: shared vertices of adjacent polygons map to identical coordinates.
    """

    def _f(x, y):
        return func(x, y)

    try:  # GeoSeries / GeoDataFrame geometry column
        import geopandas as gpd

        if isinstance(geom, gpd.GeoSeries):
            out = shapely.transform(np.asarray(geom.values), _f, interleaved=False)
            return gpd.GeoSeries(out, index=geom.index, crs=geom.crs)
    except ImportError:  # pragma: no cover - geopandas is a hard dependency
        pass
    return shapely.transform(geom, _f, interleaved=False)


def geometry_gcj02_to_wgs84(geom):
    """Convert a geometry (or array / GeoSeries) from GCJ-02 to WGS-84."""
    return transform_geometry(geom, gcj02_to_wgs84)


def geometry_wgs84_to_gcj02(geom):
    """Convert a geometry (or array / GeoSeries) from WGS-84 to GCJ-02."""
    return transform_geometry(geom, wgs84_to_gcj02)
