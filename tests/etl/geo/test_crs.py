"""WGS-84 <-> GCJ-02 conversion (etl.geo.crs)."""

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import Polygon, box

from etl.geo.crs import (
    gcj02_to_wgs84,
    geometry_gcj02_to_wgs84,
    out_of_china,
    transform_geometry,
    wgs84_to_gcj02,
)

GEOD = pyproj.Geod(ellps="WGS84")

# Jilin City: centre, 船营区 downtown, 蛟河, 桦甸, 舒兰, 磐石
JILIN_POINTS = np.array(
    [
        (126.55, 43.84),
        (126.515, 43.855),
        (127.344, 43.724),
        (126.746, 42.972),
        (126.965, 44.406),
        (126.060, 42.946),
    ]
)


def test_round_trip_wgs_gcj_wgs_at_jilin():
    lon, lat = JILIN_POINTS[:, 0], JILIN_POINTS[:, 1]
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    w_lon, w_lat = gcj02_to_wgs84(g_lon, g_lat)
    assert np.max(np.abs(w_lon - lon)) < 1e-6
    assert np.max(np.abs(w_lat - lat)) < 1e-6
    # the iterative inverse is far better than the 1e-6 requirement
    assert np.max(np.abs(w_lon - lon)) < 1e-9
    assert np.max(np.abs(w_lat - lat)) < 1e-9


def test_round_trip_gcj_wgs_gcj_at_jilin():
    lon, lat = JILIN_POINTS[:, 0], JILIN_POINTS[:, 1]
    w_lon, w_lat = gcj02_to_wgs84(lon, lat)
    g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
    assert np.max(np.abs(g_lon - lon)) < 1e-7
    assert np.max(np.abs(g_lat - lat)) < 1e-7


def test_inverse_beats_one_step_approximation():
    lon, lat = 126.55, 43.84
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    # the common one-step inverse: subtract the offset evaluated at the GCJ point
    f_lon, f_lat = wgs84_to_gcj02(g_lon, g_lat)
    one_step = (g_lon - (f_lon - g_lon), g_lat - (f_lat - g_lat))
    it = gcj02_to_wgs84(g_lon, g_lat)
    err_one = max(abs(one_step[0] - lon), abs(one_step[1] - lat))
    err_it = max(abs(it[0] - lon), abs(it[1] - lat))
    assert err_it < 1e-7
    assert err_it < err_one


def test_offset_at_jilin_is_a_few_hundred_metres():
    lon, lat = 126.55, 43.84
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    _, _, dist = GEOD.inv(lon, lat, g_lon, g_lat)
    assert 100.0 < dist < 1000.0
    # and it is not trivially zero in either coordinate
    assert abs(g_lon - lon) > 1e-4 and abs(g_lat - lat) > 1e-4


def test_points_outside_china_unchanged():
    assert wgs84_to_gcj02(10.0, 50.0) == (10.0, 50.0)
    assert gcj02_to_wgs84(10.0, 50.0) == (10.0, 50.0)
    lon = np.array([10.0, -74.0, 126.55])
    lat = np.array([50.0, 40.7, 43.84])
    assert out_of_china(lon, lat).tolist() == [True, True, False]
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    assert g_lon[:2].tolist() == [10.0, -74.0] and g_lat[:2].tolist() == [50.0, 40.7]
    assert g_lon[2] != 126.55


def test_scalar_and_array_shapes():
    s = wgs84_to_gcj02(126.55, 43.84)
    assert isinstance(s[0], float) and isinstance(s[1], float)
    grid_lon, grid_lat = np.meshgrid(np.linspace(126, 127, 4), np.linspace(43, 44, 3))
    g_lon, g_lat = wgs84_to_gcj02(grid_lon, grid_lat)
    assert g_lon.shape == (3, 4) and g_lat.shape == (3, 4)
    w_lon, w_lat = gcj02_to_wgs84(g_lon, g_lat)
    assert w_lon.shape == (3, 4)
    assert np.allclose(w_lon, grid_lon, atol=1e-9) and np.allclose(w_lat, grid_lat, atol=1e-9)


def test_transform_geometry_matches_pointwise_and_keeps_topology():
    a = box(126.50, 43.80, 126.55, 43.85)
    b = box(126.55, 43.80, 126.60, 43.85)  # shares the edge x = 126.55 with a
    ta, tb = transform_geometry(np.array([a, b]), gcj02_to_wgs84)
    # every vertex converted exactly like the point function
    xy = shapely.get_coordinates(a)
    ex = np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
    assert np.array_equal(shapely.get_coordinates(ta), ex)
    # shared edge stays shared: no overlap, union is one polygon
    assert shapely.intersection(ta, tb).area == pytest.approx(0.0, abs=1e-18)
    assert shapely.union(ta, tb).geom_type == "Polygon"
    # the whole polygon moved by a few hundred metres
    c0, c1 = a.centroid, ta.centroid
    _, _, dist = GEOD.inv(c0.x, c0.y, c1.x, c1.y)
    assert 100.0 < dist < 1000.0
    # single geometry and round trip
    back = transform_geometry(geometry_gcj02_to_wgs84(Polygon(a)), wgs84_to_gcj02)
    assert np.allclose(shapely.get_coordinates(back), xy, atol=1e-9)
