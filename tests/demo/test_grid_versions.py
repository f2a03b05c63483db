"""Versioned grid layer (demo.grid_versions): splits, redraws, exact tiling on every date, code_on."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely

from demo.geography import build_area_layers, load_districts
from demo.grid_versions import code_on, current, valid_on, version_grids
from demo.plans import GRID_PLAN_CHUANYING
from demo.points import sample_points
from etl.geo.crs import METRIC_CRS
from etl.paths import DISTRICTS_GEOJSON

SEED = 20240601
START, END = dt.date(2023, 11, 1), dt.date(2026, 10, 31)
N_SPLITS, N_REDRAWS = 4, 4
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def layers():
    return build_area_layers(load_districts(DISTRICTS_GEOJSON), (GRID_PLAN_CHUANYING,), SEED)


@pytest.fixture(scope="module")
def grids(layers):
    return layers.grids


@pytest.fixture(scope="module")
def versions(grids):
    return version_grids(grids, START, END, np.random.default_rng(7), N_SPLITS, N_REDRAWS)


@pytest.fixture(scope="module")
def changes(grids, versions):
    """{"splits": [(parent row, [child rows])], "redraws": [(old A, old B, new A, new B)]} (version rows)."""
    orig = set(grids.code)
    ended = versions[versions.valid_to.notna()]
    splits, redrawn = [], {}
    for _, old in ended.iterrows():
        succ = versions[(versions.code == old.code) & (versions.valid_from == old.valid_to)]
        if len(succ):
            redrawn.setdefault((old.community_code, old.valid_to), []).append((old, succ.iloc[0]))
        else:
            kids = versions[(versions.valid_from == old.valid_to) & ~versions.code.isin(orig)
                            & (versions.community_code == old.community_code)]
            kids = kids[shapely.area(shapely.intersection(kids.geometry.values, old.geometry))
                        > 1e-3 * old.geometry.area]
            splits.append((old, [r for _, r in kids.iterrows()]))
    redraws = []
    for pair in redrawn.values():
        assert len(pair) == 2
        (a, a2), (b, b2) = pair
        if a2.geometry.area > a.geometry.area:  # A is the donor
            (a, a2), (b, b2) = (b, b2), (a, a2)
        redraws.append((a, b, a2, b2))
    return {"splits": splits, "redraws": redraws}


def _metric(geoms):
    import geopandas as gpd

    return np.asarray(gpd.GeoSeries(list(geoms), crs="EPSG:4326").to_crs(METRIC_CRS).values)


def _dates(versions):
    ds = sorted(set(versions.valid_to.dropna()))
    return [START, END] + [d - DAY for d in ds] + ds


# --------------------------------------------------------------------------- structure
def test_columns_and_unchanged_grids(grids, versions):
    assert list(versions.columns) == [c for c in grids.columns if c != "geometry"] + [
        "valid_from", "valid_to", "geometry"]
    assert versions.crs == grids.crs
    assert all(isinstance(d, dt.date) for d in versions.valid_from)
    changed = set(versions.code[versions.valid_to.notna()])
    assert len(changed) == N_SPLITS + 2 * N_REDRAWS  # split and redrawn grids are distinct
    same = versions[~versions.code.isin(changed) & versions.code.isin(set(grids.code))]
    assert len(same) == len(grids) - len(changed)
    assert (same.valid_from == START).all() and same.valid_to.isna().all()
    orig = grids.set_index("code").loc[same.code]
    assert shapely.equals_exact(same.geometry.values, orig.geometry.values, tolerance=0).all()
    assert (same.name.to_numpy() == orig.name.to_numpy()).all()


def test_dates(versions, changes):
    ended = versions[versions.valid_to.notna()]
    assert (ended.valid_from < ended.valid_to).all()
    lo, hi = START + 90 * DAY, END - 90 * DAY
    assert ended.valid_to.map(lambda d: lo <= d <= hi).all()
    assert ended.valid_to.nunique() > 1  # a date per change
    for parent, kids in changes["splits"]:
        assert all(k.valid_from == parent.valid_to and k.valid_to is None for k in kids)
    for a, b, a2, b2 in changes["redraws"]:
        assert a.valid_to == b.valid_to == a2.valid_from == b2.valid_from


def test_codes_unique_and_new_codes_well_formed(grids, versions):
    assert not versions.duplicated(["code", "valid_from"]).any()
    for d in _dates(versions):
        assert valid_on(versions, d).code.is_unique
    new = versions[~versions.code.isin(set(grids.code))]
    assert len(new) == 2 * N_SPLITS and new.code.is_unique
    assert new.code.str.fullmatch(r"\d{15}").all()
    assert (new.code.str[:12] == new.community_code).all()
    assert (new.code.str[:9] == new.street_code).all()
    assert (new.code.str[:6] == new.district_code).all()
    top = grids.code.str[12:].astype(int).groupby(grids.community_code).max()
    seq = new.code.str[12:].astype(int)
    assert (seq.to_numpy() > top[new.community_code].to_numpy()).all()  # next unused numbers
    for _, r in new.iterrows():
        sib = grids[grids.community_code == r.community_code].iloc[0]
        cname = sib["name"][: -len(f"第{int(sib.code[12:])}网格")]
        assert r["name"] == f"{cname}第{int(r.code[12:])}网格"


# --------------------------------------------------------------------------- geometry
def test_versions_tile_every_community_on_every_date(layers, versions):
    comm = layers.communities.set_index("code")
    comm_m = dict(zip(comm.index, _metric(comm.geometry.values)))
    vm = _metric(versions.geometry.values)  # aligned with the rows of versions
    v_ll = versions.geometry.to_numpy()
    v_comm = versions.community_code.to_numpy()
    touched = sorted(set(versions.community_code[versions.valid_to.notna()]))
    for d in _dates(versions):
        rows = valid_on(versions, d).index.to_numpy()
        assert set(v_comm[rows]) == set(comm.index)
        for c in touched:
            sel = rows[v_comm[rows] == c]
            assert shapely.coverage_is_valid(v_ll[sel]), (d, c)  # edges match vertex for vertex
            g = vm[sel]
            parent = comm_m[c]
            assert abs(shapely.area(g).sum() - parent.area) < 1e-9 * parent.area, (d, c)
            assert shapely.symmetric_difference(shapely.union_all(g), parent).area < 1e-9 * parent.area
            i, j = np.triu_indices(len(g), 1)
            inter = shapely.area(shapely.intersection(g[i], g[j]))
            assert (inter <= 1e-9 * np.minimum(shapely.area(g[i]), shapely.area(g[j]))).all(), (d, c)


def test_all_new_polygons_are_single_valid_polygons(versions):
    new = versions[(versions.valid_from > START)]
    assert (new.geom_type == "Polygon").all()
    assert shapely.is_valid(new.geometry.values).all()
    assert (shapely.get_num_interior_rings(new.geometry.values) == 0).all()


def test_split_children_tile_the_parent(versions, changes):
    assert len(changes["splits"]) == N_SPLITS
    for parent, kids in changes["splits"]:
        assert parent.urban and len(kids) == 2
        p = _metric([parent.geometry])[0]
        k = _metric([r.geometry for r in kids])
        assert shapely.symmetric_difference(shapely.union_all(k), p).area < 1e-9 * p.area
        assert shapely.area(shapely.intersection(k[0], k[1])) < 1e-9 * p.area
        share = shapely.area(k) / p.area
        assert ((share > 0.3) & (share < 0.7)).all(), share
        assert shapely.coverage_is_valid(np.array([r.geometry for r in kids]))  # identical cut


def test_redraws_keep_codes_and_move_a_piece(grids, changes):
    assert len(changes["redraws"]) == N_REDRAWS
    for a, b, a2, b2 in changes["redraws"]:
        assert a.code == a2.code and b.code == b2.code and a.community_code == b.community_code
        ga, gb, ga2, gb2 = _metric([a.geometry, b.geometry, a2.geometry, b2.geometry])
        assert shapely.length(shapely.intersection(ga, gb)) > 10  # they shared a real border
        both = shapely.union(ga, gb)
        assert shapely.symmetric_difference(shapely.union(ga2, gb2), both).area < 1e-9 * both.area
        assert shapely.area(shapely.intersection(ga2, gb2)) < 1e-9 * both.area
        moved = (ga.area - ga2.area) / ga.area
        assert 0.15 <= moved <= 0.35, moved
        assert shapely.difference(ga2, ga).area < 1e-9 * ga.area  # A only loses
        assert shapely.difference(gb, gb2).area < 1e-9 * gb.area  # B only gains


def test_current_and_valid_on(grids, versions):
    cur = current(versions)
    assert cur.valid_to.isna().all()
    assert set(cur.code) == set(valid_on(versions, END).code)
    first = valid_on(versions, START).sort_values("code")
    assert list(first.code) == sorted(grids.code)
    assert shapely.equals_exact(first.geometry.values, grids.sort_values("code").geometry.values, 0).all()
    assert valid_on(versions, START - DAY).empty
    assert len(valid_on(versions, pd.Timestamp(END))) == len(cur)


def test_deterministic(grids, versions):
    again = version_grids(grids, START, END, np.random.default_rng(7), N_SPLITS, N_REDRAWS)
    pd.testing.assert_frame_equal(pd.DataFrame(again.drop(columns="geometry")),
                                  pd.DataFrame(versions.drop(columns="geometry")))
    assert shapely.equals_exact(again.geometry.values, versions.geometry.values, 0).all()
    other = version_grids(grids, START, END, np.random.default_rng(8), N_SPLITS, N_REDRAWS)
    assert set(other.code[other.valid_to.notna()]) != set(versions.code[versions.valid_to.notna()])


def test_no_changes_and_too_many(grids):
    v = version_grids(grids, START, END, np.random.default_rng(1), 0, 0)
    assert len(v) == len(grids) and v.valid_to.isna().all()
    one = grids[grids.community_code == grids.community_code.iloc[0]]
    with pytest.raises(ValueError):
        version_grids(one, START, END, np.random.default_rng(1), len(one) + 1, 0)


# --------------------------------------------------------------------------- code_on
def test_code_on(grids, versions, changes):
    """Points placed in the original grids, at random dates, get the version valid then."""
    rng = np.random.default_rng(3)
    touched = set(versions.community_code[versions.valid_to.notna()])
    near = grids[grids.community_code.isin(touched)]  # changed grids and their siblings
    geoms, codes = near.geometry.to_numpy(), near.code.to_numpy()
    counts = rng.integers(20, 60, len(near))
    counts[near.code.isin(set(versions.code[versions.valid_to.notna()])).to_numpy()] = 1500
    lon, lat = sample_points(geoms, counts, rng)
    orig = np.repeat(codes, counts)
    n = len(orig)
    days = rng.integers(0, (END - START).days + 1, n)
    dates = np.datetime64(START, "D") + days.astype("timedelta64[D]")
    got = code_on(versions, orig, lon, lat, dates)
    assert got.dtype == orig.dtype
    changed = np.isin(orig, versions.code[versions.valid_to.notna()].to_numpy())
    assert changed.sum() > 100
    assert (got[~changed] == orig[~changed]).all()  # unchanged grids keep their code
    # the others: the version valid on the date that contains the point (independent check)
    d = dates.astype(object)
    for _, v in versions[versions.code.isin(set(orig[changed])) | (versions.valid_from > START)].iterrows():
        live = (d >= v.valid_from) & ((v.valid_to is None) | (d < (v.valid_to or END)))
        inside = live & shapely.contains_xy(v.geometry, lon, lat)
        assert (got[inside] == v.code).all(), v.code
    for parent, kids in changes["splits"]:
        in_parent = orig == parent.code
        before = in_parent & (d < parent.valid_to)
        after = in_parent & (d >= parent.valid_to)
        assert before.any() and after.any()
        assert (got[before] == parent.code).all()
        assert set(got[after]) == {k.code for k in kids}
    for a, b, a2, b2 in changes["redraws"]:
        moved = (orig == a.code) & (d >= a.valid_to) & shapely.contains_xy(b2.geometry, lon, lat)
        assert moved.any() and (got[moved] == b.code).all()
        stays = (orig == b.code)
        assert (got[stays] == b.code).all()
    # one date for all points (households: the end date), fixed-width strings
    at_end = code_on(versions, orig.astype("U15"), lon, lat, np.datetime64(END))
    assert at_end.dtype.kind == "U"
    cur = current(versions)
    assert set(at_end) <= set(cur.code)
    for parent, _ in changes["splits"]:
        assert parent.code not in set(at_end)


def test_code_on_border_and_stray_points(versions, changes):
    parent, kids = changes["splits"][0]
    cut = shapely.get_coordinates(shapely.intersection(kids[0].geometry, kids[1].geometry))
    x, y = cut[:, 0], cut[:, 1]  # vertices of the cut: on the border of both children
    far_x, far_y = x[:1] + 1.0, y[:1]  # a point far outside (bad input): nearest valid version
    lon, lat = np.concatenate([x, far_x]), np.concatenate([y, far_y])
    orig = np.full(len(lon), parent.code, dtype=object)
    got = code_on(versions, orig, lon, lat, np.datetime64(parent.valid_to, "D"))
    assert set(got) <= {k.code for k in kids}
    got_before = code_on(versions, orig, lon, lat, np.datetime64(parent.valid_to - DAY, "D"))
    assert got_before[:-1].tolist() == [parent.code] * len(x)
    empty = code_on(versions, np.array([], dtype=object), np.array([]), np.array([]), np.array([], "M8[D]"))
    assert len(empty) == 0
