"""map_shapes (etl/transform/map_shapes.py) on the tiny warehouse: every area in force is there once per
variant, simplified without gaps or overlaps between neighbours, wound for d3, and its GeoJSON
text is the same polygon as its WKB."""
import json

import duckdb
import numpy as np
import pytest
import shapely

from etl.transform.map_shapes import TOLERANCE
from warehouse.map_shapes import OVERVIEW_TOLERANCE, VARIANTS


@pytest.fixture(scope="module")
def con(tiny_db):
    with duckdb.connect(str(tiny_db), read_only=True) as c:
        yield c


def _shapes(con, level, variant):
    rows = con.execute("SELECT code, geometry_wkb, geometry_json, tolerance FROM core.map_shapes "
                       "WHERE level = ? AND variant = ? ORDER BY code", [level, variant]).fetchall()
    return ([r[0] for r in rows], shapely.from_wkb([bytes(r[1]) for r in rows]),
            [r[2] for r in rows], {r[3] for r in rows})


@pytest.mark.parametrize("level", list(TOLERANCE))
def test_each_area_in_force_once_per_variant(con, level):
    in_force = [r[0] for r in con.execute("""
        SELECT a.code FROM core.areas a, ops.meta m WHERE a.level = ?
          AND coalesce(a.valid_from <= m.as_of, true) AND (a.valid_to IS NULL OR a.valid_to > m.as_of)
        ORDER BY a.code""", [level]).fetchall()]
    assert in_force
    for variant in VARIANTS:
        codes, _geoms, _json, tolerance = _shapes(con, level, variant)
        assert codes == in_force
        assert tolerance == {TOLERANCE[level] if variant == "detail" else max(TOLERANCE[level], OVERVIEW_TOLERANCE)}


@pytest.mark.parametrize("level", list(TOLERANCE))
def test_neighbours_share_their_edges(con, level):
    """Simplified, the polygons tile the level as well as the source did: no new mismatched edge
    between neighbours (the generated source has a few: simplification keeps those as they are),
    no new hole in the union, about the same area."""
    original = shapely.from_wkb([bytes(r[0]) for r in con.execute("""
        SELECT a.geometry_wkb FROM core.areas a, ops.meta m WHERE a.level = ?
          AND coalesce(a.valid_from <= m.as_of, true) AND (a.valid_to IS NULL OR a.valid_to > m.as_of)
        ORDER BY a.code""", [level]).fetchall()])
    for variant in VARIANTS:
        _codes, geoms, _json, _tol = _shapes(con, level, variant)
        assert shapely.is_valid(geoms).all()
        mismatched = lambda g: sum(not e.is_empty for e in shapely.coverage_invalid_edges(g))  # noqa: E731
        assert mismatched(geoms) <= mismatched(original)
        total, before = shapely.area(geoms).sum(), shapely.area(original).sum()
        assert abs(total - before) < 0.01 * before
        # the union has no holes the original did not have: nothing opened between neighbours
        holes = lambda g: sum(len(p.interiors) for p in shapely.get_parts(g))   # noqa: E731
        assert holes(shapely.union_all(geoms)) <= holes(shapely.union_all(original))


def test_overview_is_coarser_and_text_matches_wkb(con):
    for level in TOLERANCE:
        counts = {}
        for variant in VARIANTS:
            _codes, geoms, texts, _tol = _shapes(con, level, variant)
            counts[variant] = shapely.get_num_coordinates(geoms).sum()
            from_text = shapely.from_geojson([json.dumps({"type": "Feature", "properties": {},
                                                          "geometry": json.loads(t)}) for t in texts])
            assert shapely.equals_exact(from_text, geoms, tolerance=1e-9).all()
            # exterior rings clockwise: d3 reads an anticlockwise ring as "the globe but this"
            exteriors = shapely.get_exterior_ring(shapely.get_parts(geoms))
            assert not shapely.is_ccw(exteriors).any()
        assert counts["overview"] <= counts["detail"]
    assert counts["overview"] < counts["detail"]          # the grids: visibly fewer vertices
    assert np.isfinite(con.execute("SELECT max(maxx - minx) FROM core.map_shapes").fetchall()[0][0])
