"""The map geometry route (cockpit/geometry.py): polygons by URL, only inside the signed-in
account's jurisdiction, immutable per generation."""
import json

import duckdb
import numpy as np
import pytest
import shapely

from tests.cockpit.web import client
from tests.conftest import served_db
from warehouse import generations


@pytest.fixture(scope="module")
def db(world, tiny_warehouse):
    con = duckdb.connect(str(served_db(tiny_warehouse)), read_only=True)
    yield con
    con.close()


def _url(tiny_warehouse, layer, code, generation=None, px=None):
    gen = generation or generations.current(tiny_warehouse).id
    return f"/geo/{gen}/{layer}/{code}.json" + (f"?px={px}" if px else "")


def _codes(db, level, prefix):
    return [r[0] for r in db.execute(
        "SELECT code FROM core.areas WHERE level = ? AND starts_with(code, ?) AND valid_to IS NULL "
        "ORDER BY code", [level, prefix]).fetchall()]


def test_polygons_of_a_level_inside_the_area(world, db, tiny_warehouse):
    street = world["roles"]["street"][1]
    c = client(world, "street")
    r = c.get(_url(tiny_warehouse, "community", street))
    assert r.status_code == 200 and r.mimetype == "application/json"
    features = r.get_json()["features"]
    assert [f["properties"]["code"] for f in features] == _codes(db, "community", street)
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
    # an account's polygons are not stored by the browser (cockpit/headers.py)
    assert r.cache_control.no_store and not r.cache_control.immutable


def test_a_url_from_an_older_generation_gets_todays_polygons(world, tiny_warehouse):
    street = world["roles"]["street"][1]
    c = client(world, "street")
    old = c.get(_url(tiny_warehouse, "community", street, generation="20000101T000000-old"))
    assert old.status_code == 200 and old.cache_control.no_store
    assert old.get_data() == c.get(_url(tiny_warehouse, "community", street)).get_data()


def test_refused_outside_the_jurisdiction_or_signed_out(world, tiny_warehouse):
    street, other = world["roles"]["street"][1], world["other_street"]
    c = client(world, "street")
    assert c.get(_url(tiny_warehouse, "community", other)).status_code == 403
    assert c.get(_url(tiny_warehouse, "community", street[:6])).status_code == 403   # its district
    assert c.get(_url(tiny_warehouse, "district", street)).status_code == 404        # above it
    assert c.get(_url(tiny_warehouse, "persons", street)).status_code == 404
    assert c.get(_url(tiny_warehouse, "community", "22x")).status_code == 403
    signed_out = client(world)
    assert signed_out.get(_url(tiny_warehouse, "community", street)).status_code == 401


def test_a_narrow_canvas_gets_the_overview_polygons(world, tiny_warehouse):
    district = world["roles"]["leader"][1]
    c = client(world, "leader")

    def vertices(px=None):
        features = c.get(_url(tiny_warehouse, "grid", district, px=px)).get_json()["features"]
        return sum(len(shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))) for f in features), len(features)

    full, n = vertices()
    assert vertices(px=2000) == (full, n)        # a pixel finer than the overview's tolerance
    coarse, n_coarse = vertices(px=20)           # a pixel coarser: the overview variant
    assert n_coarse == n and coarse < full


def test_the_hexagon_lattice_covers_the_area(world, db, tiny_warehouse):
    district = world["roles"]["leader"][1]
    features = client(world, "leader").get(_url(tiny_warehouse, "hex", district)).get_json()["features"]
    hexes = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
    assert len({f["id"] for f in features}) == len(features) > 100
    # hexagons tile: no two overlap (beyond rounding), and every event inside the district is in one
    tree = shapely.STRtree(hexes)
    pairs = tree.query(hexes, predicate="overlaps")
    overlap = [shapely.area(shapely.intersection(hexes[a], hexes[b])) for a, b in pairs.T if a < b]
    assert max(overlap, default=0) < 1e-3 * shapely.area(hexes[0])
    pts = np.array(db.execute("SELECT lon, lat FROM core.events WHERE starts_with(grid_code, ?) "
                              "AND lon IS NOT NULL", [district]).fetchall())
    hit = tree.query(shapely.points(pts), predicate="intersects")
    assert len(np.unique(hit[0])) == len(pts)


def test_no_polygons_for_a_department_or_an_unknown_area(world, tiny_warehouse):
    """A department's account opens no map page: it gets no polygons, though its scope is the
    city. A well-formed code that names no area is not found (and not cached)."""
    assert client(world, "department").get(_url(tiny_warehouse, "grid", "2202")).status_code == 403
    district = world["roles"]["leader"][1]
    leader = client(world, "leader")
    assert leader.get(_url(tiny_warehouse, "grid", district + "999")).status_code == 404
    assert leader.get(_url(tiny_warehouse, "hex", district + "999")).status_code == 404


def test_any_px_is_one_of_two_cached_variants(world, tiny_warehouse, monkeypatch):
    """?px only chooses between the ETL's two variants: a client sending many widths builds (and
    caches) at most two layers, not one per width."""
    from cockpit import geometry
    from cockpit.cache import cache
    built = []
    layer = geometry.q.layer
    monkeypatch.setattr(geometry.q, "layer", lambda *a: built.append(a[-1]) or layer(*a))
    street = world["roles"]["street"][1]
    c = client(world, "street")
    with world["app"].server.app_context():
        cache.clear()
    for px in [None, -5, 0, 1, 7, 20, 999, 10**9, "abc"]:
        assert c.get(_url(tiny_warehouse, "community", street, px=px)).status_code == 200
    assert sorted(built) == ["detail", "overview"]
