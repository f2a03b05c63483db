"""Generated area layers (demo.geography, demo.plans, demo.partition): exact tiling, codes, names, determinism."""

import os
import re

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from demo.geography import COMMUNITY_CODE_RANGES, STREET_CODE_RANGES, AreaLayers, build_area_layers, load_districts
from demo.partition import partition_polygon
from demo.plans import GRID_PLAN_CHUANYING, JILIN_CITY_PLANS, DistrictPlan
from etl.geo.crs import METRIC_CRS

SEED = 20240601
GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def districts():
    return load_districts()


@pytest.fixture(scope="module")
def layers(districts) -> AreaLayers:
    return build_area_layers(districts, [GRID_PLAN_CHUANYING], seed=SEED)


@pytest.fixture(scope="module")
def metric(layers):
    """All four layers in UTM 52N (metres)."""
    return {
        "districts": layers.districts.to_crs(METRIC_CRS),
        "streets": layers.streets.to_crs(METRIC_CRS),
        "communities": layers.communities.to_crs(METRIC_CRS),
        "grids": layers.grids.to_crs(METRIC_CRS),
    }


# (child layer, parent layer, column of the child holding the parent's code)
LEVELS = [
    ("streets", "districts", "district_code"),
    ("communities", "streets", "street_code"),
    ("grids", "communities", "community_code"),
]


# --------------------------------------------------------------------------- districts
def test_load_districts_converts_gcj02_to_wgs84(districts):
    import geopandas as gpd

    assert len(districts) == 9
    assert districts.crs.to_epsg() == 4326
    assert list(districts.columns) == ["adcode", "name", "geometry"]
    assert districts.set_index("adcode").loc["220204", "name"] == "船营区"
    assert shapely.is_valid(districts.geometry.values).all()
    raw = gpd.read_file("data/reference/jilin_city_districts.geojson").set_index("adcode")
    for code, geom in zip(districts.adcode, districts.geometry):
        a, b = raw.geometry[code].centroid, geom.centroid
        _, _, dist = GEOD.inv(a.x, a.y, b.x, b.y)
        assert 100 < dist < 1000, (code, dist)  # GCJ-02 offset removed


def test_chuanying_plan_centre_inside_district_near_east_edge(districts):
    g = districts.set_index("adcode").geometry["220204"]
    c = shapely.Point(GRID_PLAN_CHUANYING.urban_centre)
    assert g.contains(c)
    minx, _, maxx, _ = g.bounds
    assert (c.x - minx) / (maxx - minx) > 0.85


# --------------------------------------------------------------------------- counts
def test_counts_match_plan(layers):
    plan = GRID_PLAN_CHUANYING
    assert len(layers.districts) == 1 and layers.districts.code.tolist() == ["220204"]
    assert len(layers.streets) == 15
    kinds = layers.streets.kind.value_counts().to_dict()
    assert kinds == {"街道": 10, "镇": 3, "乡": 2}
    assert len(layers.communities) == 120
    assert layers.communities.kind.value_counts().to_dict() == {"社区": 70, "村": 50}
    assert abs(len(layers.grids) - plan.n_grids) <= 0.03 * plan.n_grids


def test_output_crs_and_columns(layers):
    for gdf in (layers.districts, layers.streets, layers.communities, layers.grids):
        assert gdf.crs.to_epsg() == 4326
    assert list(layers.districts.columns) == ["code", "name", "geometry"]
    assert list(layers.streets.columns) == ["code", "name", "kind", "district_code", "urban", "geometry"]
    assert list(layers.communities.columns) == [
        "code", "name", "kind", "street_code", "district_code", "urban", "geometry",
    ]
    assert list(layers.grids.columns) == [
        "code", "name", "community_code", "street_code", "district_code", "urban", "geometry",
    ]
    # inside Jilin City
    minx, miny, maxx, maxy = layers.grids.total_bounds
    assert 125.9 < minx < maxx < 126.7 and 43.6 < miny < maxy < 44.1


# --------------------------------------------------------------------------- tiling
def test_every_geometry_valid_single_polygon(metric):
    for name in ("streets", "communities", "grids"):
        g = metric[name].geometry.values
        assert shapely.is_valid(g).all(), name
        assert (~shapely.is_empty(g)).all(), name
        # 船营区 is a single polygon, so every child must be one too
        assert (shapely.get_type_id(g) == 3).all(), name
    # the layers in EPSG:4326 are valid too
    assert all(isinstance(p, Polygon) for p in metric["grids"].geometry)


@pytest.mark.parametrize("child,parent,key", LEVELS)
def test_children_areas_sum_to_parent(metric, child, parent, key):
    c, p = metric[child], metric[parent]
    sums = c.geometry.area.groupby(c[key]).sum()
    parent_area = p.set_index("code").geometry.area
    assert set(sums.index) == set(parent_area.index)  # every parent has children
    rel = ((sums - parent_area[sums.index]).abs() / parent_area[sums.index]).max()
    assert rel < 1e-9


@pytest.mark.parametrize("child,parent,key", LEVELS)
def test_union_of_children_equals_parent(metric, child, parent, key):
    c, p = metric[child], metric[parent].set_index("code")
    for code, grp in c.groupby(key):
        u = shapely.union_all(grp.geometry.values)
        pg = p.geometry[code]
        diff = shapely.symmetric_difference(u, pg).area
        assert diff < 1e-9 * pg.area, (code, diff)


@pytest.mark.parametrize("name", ["streets", "communities", "grids"])
def test_no_overlaps(metric, name):
    geoms = metric[name].geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    sel = left < right
    left, right = left[sel], right[sel]
    assert len(left) > len(geoms) // 2  # neighbours do touch: the test is not vacuous
    inter = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
    assert (inter <= 1e-9 * smaller).all(), float((inter / smaller).max())


def test_no_slivers(metric):
    for child, _, key in LEVELS:
        c = metric[child]
        area = c.geometry.area
        # compare with siblings of the same class (urban 街道 are meant to be far smaller than towns)
        cls = c["urban"]
        med = area.groupby([c[key], cls]).transform("median")
        assert (area >= 0.01 * med).all(), child


def test_parent_of_each_child_contains_it(metric):
    comm = metric["communities"].set_index("code")
    g = metric["grids"].sample(50, random_state=1)
    for code, geom in zip(g.community_code, g.geometry):
        assert comm.geometry[code].buffer(1e-3).contains(geom)


# --------------------------------------------------------------------------- codes
def test_code_formats_and_prefixes(layers):
    s, c, g = layers.streets, layers.communities, layers.grids
    assert s.code.str.fullmatch(r"220204\d{3}").all()
    assert c.code.str.fullmatch(r"\d{12}").all()
    assert g.code.str.fullmatch(r"\d{15}").all()
    for df in (s, c, g):
        assert df.code.is_unique
    assert (c.code.str[:9] == c.street_code).all()
    assert (g.code.str[:12] == g.community_code).all()
    assert (g.code.str[:9] == g.street_code).all()
    assert (g.code.str[:6] == g.district_code).all()
    assert set(c.street_code) == set(s.code)
    assert set(g.community_code) == set(c.code)
    # consistent parent columns
    street_of = c.set_index("code").street_code
    assert (g.street_code.to_numpy() == street_of[g.community_code].to_numpy()).all()


def test_code_category_ranges(layers):
    s, c, g = layers.streets, layers.communities, layers.grids
    seq = s.code.str[6:].astype(int)
    for kind, (lo, hi) in STREET_CODE_RANGES.items():
        k = seq[s.kind == kind]
        assert ((k >= lo) & (k <= hi)).all(), kind
        assert sorted(k) == list(range(lo, lo + len(k)))  # consecutive from the range start
    seq = c.code.str[9:].astype(int)
    for kind, (lo, hi) in COMMUNITY_CODE_RANGES.items():
        k = seq[c.kind == kind]
        assert ((k >= lo) & (k <= hi)).all(), kind
        for _, kk in k.groupby(c.street_code[c.kind == kind]):
            assert sorted(kk) == list(range(lo, lo + len(kk)))
    gseq = g.code.str[12:].astype(int)
    for _, kk in gseq.groupby(g.community_code):
        assert sorted(kk) == list(range(1, len(kk) + 1))


TO_LONLAT = pyproj.Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
M_PER_DEG_LAT = 111_195.0


def _with_centroids(gdf):
    """Attribute table plus centroid lon/lat (centroid taken in metres) and area (m²)."""
    cen = gdf.geometry.centroid
    lon, lat = TO_LONLAT.transform(cen.x.to_numpy(), cen.y.to_numpy())
    return gdf.drop(columns="geometry").assign(cx=lon, cy=lat, area=gdf.geometry.area.to_numpy())


def _expected_order(df):
    """Codes ordered west->east within latitude rows (sqrt(median area) high), rows north->south."""
    h = np.sqrt(np.median(df.area)) / M_PER_DEG_LAT
    row = np.floor((df.cy.max() - df.cy) / h).astype(int)
    return df.assign(_row=row).sort_values(["_row", "cx"]).code.tolist()


def test_codes_numbered_west_east_north_south(metric):
    s, c, g = (_with_centroids(metric[k]) for k in ("streets", "communities", "grids"))
    for _, grp in s.groupby("kind"):
        assert _expected_order(grp) == sorted(grp.code)
    for _, grp in c.groupby(["street_code", "kind"]):
        assert _expected_order(grp) == sorted(grp.code)
    n_multi = 0
    for _, grp in g.groupby("community_code"):
        assert _expected_order(grp) == sorted(grp.code)
        if len(grp) < 3:
            continue
        n_multi += 1
        first = grp.loc[grp.code.idxmin()]
        h = np.sqrt(np.median(grp.area)) / M_PER_DEG_LAT
        # the first grid is in the northern row ...
        top = grp.cy >= grp.cy.max() - h
        assert first.cy >= grp.cy.max() - h
        # ... and the westernmost of that row
        assert first.cx == grp.cx[top].min()
    assert n_multi > 100


# --------------------------------------------------------------------------- names & kinds
def test_street_names_and_kinds(layers):
    s = layers.streets.set_index("code")
    plan = GRID_PLAN_CHUANYING
    assert sorted(s.name) == sorted(plan.street_names)
    for name, kind, urban in zip(s.name, s.kind, s.urban):
        assert name.endswith(kind)
        assert urban == (kind == "街道")
    # 街道 names in code order are the plan's urban names in order
    urb = s[s.kind == "街道"].sort_index()
    assert urb.name.tolist() == list(plan.street_names[:10])


def test_community_kinds_by_street(layers):
    c, s = layers.communities, layers.streets.set_index("code")
    for code, grp in c.groupby("street_code"):
        if s.kind[code] == "街道":
            assert (grp.kind == "社区").all()
            assert len(grp) >= 2
        else:  # towns: one 社区 at the seat, the rest villages
            assert (grp.kind == "社区").sum() == 1
            assert (grp.kind == "村").sum() >= 1
    assert (c.urban == (c.kind == "社区")).all()
    assert c.name[c.kind == "社区"].str.fullmatch(r"\w+社区").all()
    assert c.name[c.kind == "村"].str.fullmatch(r"\w+村").all()


def test_names_unique_within_parent(layers):
    c, g = layers.communities, layers.grids
    assert not c.duplicated(["street_code", "name"]).any()
    assert c.name.is_unique  # stronger: unique within the district
    assert not g.duplicated(["community_code", "name"]).any()
    cname = c.set_index("code").name
    for code, name, comm in zip(g.code, g.name, g.community_code):
        assert name == f"{cname[comm]}第{int(code[12:])}网格"


def test_grid_urban_flag_inherits_community(layers):
    c = layers.communities.set_index("code")
    g = layers.grids
    assert (g.urban.to_numpy() == c.urban[g.community_code].to_numpy()).all()
    assert g.urban.any() and (~g.urban).any()


# --------------------------------------------------------------------------- density
def test_urban_grids_smaller_than_rural(metric):
    g = metric["grids"]
    area = g.geometry.area
    ratio = area[~g.urban].median() / area[g.urban].median()
    assert ratio > 5, ratio
    s = metric["streets"]
    sa = s.geometry.area
    assert sa[~s.urban].median() > 5 * sa[s.urban].median()


def test_grids_per_community(layers):
    c = layers.communities.set_index("code")
    n = layers.grids.community_code.value_counts()
    n_comm = n[c.index[(c.kind == "社区") & c.street_code.isin(
        layers.streets.code[layers.streets.kind == "街道"])]]
    n_vill = n[c.index[c.kind == "村"]]
    assert 6 <= n_comm.median() <= 12
    assert 2 <= n_vill.median() <= 5
    assert n.min() >= 1


def test_urban_core_near_centre(metric, layers):
    to_m = pyproj.Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    cx, cy = to_m.transform(*GRID_PLAN_CHUANYING.urban_centre)
    s = metric["streets"]
    d = s.geometry.centroid.distance(shapely.Point(cx, cy))
    assert d[s.urban].max() < d[~s.urban].min()


# --------------------------------------------------------------------------- determinism
def _wkb(layers):
    return [
        (df.drop(columns="geometry").to_numpy().tolist(), shapely.to_wkb(df.geometry.values).tolist())
        for df in (layers.streets, layers.communities, layers.grids)
    ]


def test_same_seed_identical_output(layers, districts):
    again = build_area_layers(districts, [GRID_PLAN_CHUANYING], seed=SEED)
    assert _wkb(again) == _wkb(layers)


def test_different_seed_different_geometry(layers, districts):
    # one grid per community keeps this second build cheap
    from dataclasses import replace

    plan = replace(GRID_PLAN_CHUANYING, n_grids=120)
    other = build_area_layers(districts, [plan], seed=SEED + 1)
    assert len(other.streets) == 15 and len(other.communities) == 120 and len(other.grids) == 120
    a = shapely.to_wkb(layers.streets.geometry.values).tolist()
    b = shapely.to_wkb(other.streets.geometry.values).tolist()
    assert a != b
    assert sorted(other.streets.name) == sorted(layers.streets.name)  # same real names
    assert other.communities.name.tolist() != layers.communities.name.tolist()


# --------------------------------------------------------------------------- partition unit tests
def _check_partition(parent, out):
    geoms = [g for _, g in out]
    assert sum(g.area for g in geoms) == pytest.approx(parent.area, rel=1e-9)
    assert shapely.symmetric_difference(shapely.union_all(geoms), parent).area < 1e-9 * parent.area
    for i in range(len(geoms)):
        assert geoms[i].is_valid
        for j in range(i + 1, len(geoms)):
            assert shapely.intersection(geoms[i], geoms[j]).area < 1e-9 * parent.area


def test_partition_merges_fragments_into_neighbours():
    # A U-shaped parent: the middle seed's Voronoi cell crosses the notch and
    # is clipped into two pieces; the piece without the seed must be merged.
    parent = shapely.difference(box(0, 0, 100, 100), box(30, 40, 70, 100))
    seeds = np.array([[15.0, 80.0], [50.0, 20.0], [85.0, 80.0], [50.0, 35.0]])
    out = partition_polygon(parent, seeds)
    _check_partition(parent, out)
    assert all(isinstance(g, Polygon) for _, g in out)
    for i, g in out:
        assert g.covers(shapely.Point(seeds[i]))


def test_partition_multipart_parent():
    parent = MultiPolygon([box(0, 0, 100, 100), box(200, 0, 210, 10)])  # with an "island"
    seeds = np.array([[20.0, 20.0], [80.0, 80.0], [20.0, 80.0]])
    out = partition_polygon(parent, seeds)
    _check_partition(parent, out)
    assert sum(isinstance(g, MultiPolygon) for _, g in out) == 1  # the island joins one child


def test_partition_merges_slivers():
    parent = box(0, 0, 1000, 1000)
    # three nearly coincident seeds: the middle one's cell is a 0.1 m wide strip
    seeds = np.array([[100.0, 500.0], [499.9, 500.0], [500.0, 500.0], [500.1, 500.0], [900.0, 500.0]])
    raw_strip = 0.1 * 1000
    out = partition_polygon(parent, seeds)
    _check_partition(parent, out)
    areas = np.array([g.area for _, g in out])
    assert areas.min() >= 0.01 * np.median(areas) > raw_strip
    assert len(out) == len(seeds) - 1 and 2 not in [i for i, _ in out]
    assert all(isinstance(g, Polygon) for _, g in out)


# --------------------------------------------------------------------------- other plans
def test_plan_without_urban_streets_and_generated_names(districts):
    plan = DistrictPlan(
        adcode="220221", n_urban_streets=0, n_towns=4, n_communities=6, n_villages=14,
        n_grids=60, urban_centre=(126.50, 43.67), urban_radius_km=2.0,
    )
    lay = build_area_layers(districts, [plan], seed=3)
    assert len(lay.streets) == 4 and set(lay.streets.kind) <= {"镇", "乡"}
    assert (lay.streets.kind == "乡").sum() == 1  # n_towns // 3, farthest from the centre
    assert lay.streets.name.str.fullmatch(r"\w+[镇乡]").all() and lay.streets.name.is_unique
    assert len(lay.communities) == 20
    assert lay.communities.kind.value_counts().to_dict() == {"村": 14, "社区": 6}
    m = lay.communities.to_crs(METRIC_CRS)
    d = lay.districts.to_crs(METRIC_CRS).geometry.iloc[0]
    assert m.geometry.area.sum() == pytest.approx(d.area, rel=1e-9)
    assert re.fullmatch(r"220221[12]\d{2}", lay.streets.code.iloc[0])


def test_plan_with_villages_inside_urban_streets(districts):
    plan = DistrictPlan(
        adcode="220211", n_urban_streets=3, n_towns=0, n_communities=8, n_villages=5,
        n_grids=50, urban_centre=(126.56, 43.80), urban_radius_km=2.5,
    )
    lay = build_area_layers(districts, [plan], seed=5)
    assert (lay.streets.kind == "街道").all() and len(lay.streets) == 3
    assert lay.communities.kind.value_counts().to_dict() == {"社区": 8, "村": 5}
    assert len(lay.grids) == 50
    for child, parent, key in LEVELS:
        c = getattr(lay, child).to_crs(METRIC_CRS)
        p = getattr(lay, parent).to_crs(METRIC_CRS).set_index("code").geometry.area
        sums = c.geometry.area.groupby(c[key]).sum()
        assert ((sums - p[sums.index]).abs() / p[sums.index]).max() < 1e-9
        assert shapely.is_valid(c.geometry.values).all()


def test_invalid_plans_rejected(districts):
    base = dict(adcode="220204", n_urban_streets=2, n_towns=1, n_communities=5, n_villages=4,
                n_grids=30, urban_centre=GRID_PLAN_CHUANYING.urban_centre, urban_radius_km=2.0)
    with pytest.raises(ValueError):
        build_area_layers(districts, [DistrictPlan(**{**base, "n_communities": 3})], seed=1)
    with pytest.raises(ValueError):
        build_area_layers(districts, [DistrictPlan(**{**base, "street_names": ("甲街道",)})], seed=1)
    with pytest.raises(ValueError):
        build_area_layers(districts, [DistrictPlan(**{**base, "adcode": "999999"})], seed=1)


# --------------------------------------------------------------------------- Jilin City plans
# 2020 census population of each division (approximate), as in the plans' comments
CENSUS_2020 = {
    "220202": 610_000, "220203": 416_000, "220204": 431_000, "220211": 328_000, "220221": 329_000,
    "220281": 340_000, "220282": 353_000, "220283": 441_000, "220284": 417_000,
}
# expected residents per grid (lognormal around 500 / 250 with sigma 0.35: mean 1.063x)
RESIDENTS_URBAN, RESIDENTS_RURAL = 1.063 * 500, 1.063 * 250


def test_jilin_city_plans_are_complete_and_consistent(districts):
    from demo.plans import validate_plan

    codes = [p.adcode for p in JILIN_CITY_PLANS]
    assert codes == sorted(districts.adcode) == sorted(CENSUS_2020)  # all nine, in adcode order
    assert GRID_PLAN_CHUANYING in JILIN_CITY_PLANS
    geoms = districts.set_index("adcode").geometry
    for p in JILIN_CITY_PLANS:
        validate_plan(p)
        assert len(p.street_names) == p.n_urban_streets + p.n_towns
        assert all(s.endswith("街道") for s in p.street_names[: p.n_urban_streets]), p.adcode
        assert all(s[-1] in "镇乡" for s in p.street_names[p.n_urban_streets :]), p.adcode
        assert geoms[p.adcode].contains(shapely.Point(p.urban_centre)), p.adcode
        # 街道 hold 社区 only; the villages are in the townships
        assert p.n_towns == 0 or p.n_villages >= 2 * p.n_towns
        # a rough expected population from the plan alone (grids ~ 2.7 per 社区 : 1 per 村)
        share = 2.7 * p.n_communities / (2.7 * p.n_communities + p.n_villages)
        rough = p.n_grids * (share * RESIDENTS_URBAN + (1 - share) * RESIDENTS_RURAL)
        assert abs(rough / CENSUS_2020[p.adcode] - 1) < 0.15, p.adcode


def _check_city_layers(lay, plans):
    """Every level partitions its parent; codes, kinds and counts follow the plans."""
    by_code = {p.adcode: p for p in plans}
    assert lay.districts.code.tolist() == sorted(by_code)
    m = {k: getattr(lay, k).to_crs(METRIC_CRS) for k in ("districts", "streets", "communities", "grids")}
    multi_district = set(lay.districts.code[shapely.get_num_geometries(lay.districts.geometry.values) > 1])
    for child, parent, key in LEVELS:
        c, p = m[child], m[parent].set_index("code")
        geoms = c.geometry.values
        assert shapely.is_valid(geoms).all() and not shapely.is_empty(geoms).any(), child
        # children are single polygons except in a multi-part district (舒兰市's exclave)
        multi = shapely.get_type_id(geoms) == 6
        assert set(c.district_code[multi]) <= multi_district, child
        for code in multi_district:
            assert (multi & (c.district_code == code).to_numpy()).sum() == 1, (child, code)
        # areas add up and the union is the parent
        sums = c.geometry.area.groupby(c[key]).sum()
        assert set(sums.index) == set(p.index)
        pa = p.geometry.area[sums.index]
        assert ((sums - pa).abs() / pa).max() < 1e-9, child
        for code, grp in c.groupby(key):
            diff = shapely.symmetric_difference(shapely.union_all(grp.geometry.values), p.geometry[code]).area
            assert diff < 1e-9 * p.geometry[code].area, (child, code, diff)
        # no overlaps
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        sel = left < right
        inter = shapely.area(shapely.intersection(geoms[left[sel]], geoms[right[sel]]))
        smaller = np.minimum(shapely.area(geoms[left[sel]]), shapely.area(geoms[right[sel]]))
        assert (inter <= 1e-9 * smaller).all(), child
    s, c, g = lay.streets, lay.communities, lay.grids
    for df, n in ((s, 9), (c, 12), (g, 15)):
        assert df.code.str.fullmatch(rf"\d{{{n}}}").all() and df.code.is_unique
    assert (s.code.str[:6] == s.district_code).all()
    assert (c.code.str[:9] == c.street_code).all() and (g.code.str[:12] == g.community_code).all()
    assert (g.code.str[:6] == g.district_code).all()
    seq = s.code.str[6:].astype(int)
    for kind, (lo, hi) in STREET_CODE_RANGES.items():
        assert ((seq[s.kind == kind] >= lo) & (seq[s.kind == kind] <= hi)).all(), kind
    seq = c.code.str[9:].astype(int)
    for kind, (lo, hi) in COMMUNITY_CODE_RANGES.items():
        assert ((seq[c.kind == kind] >= lo) & (seq[c.kind == kind] <= hi)).all(), kind
    assert (g.urban.to_numpy() == c.set_index("code").urban[g.community_code].to_numpy()).all()
    for code, plan in by_code.items():
        ss, cc, gg = (df[df.district_code == code] for df in (s, c, g))
        assert sorted(ss.name) == sorted(plan.street_names), code
        assert (ss.kind == "街道").sum() == plan.n_urban_streets
        assert all(n.endswith(k) for n, k in zip(ss.name, ss.kind))
        assert cc.kind.value_counts().reindex(["社区", "村"], fill_value=0).tolist() == [
            plan.n_communities, plan.n_villages], code
        assert cc.name.is_unique
        assert abs(len(gg) - plan.n_grids) <= 0.03 * plan.n_grids, code
        expected = RESIDENTS_URBAN * gg.urban.sum() + RESIDENTS_RURAL * (~gg.urban).sum()
        assert abs(expected / CENSUS_2020[code] - 1) < 0.05, (code, expected)


# The whole city takes ~30-60 s on two cores; by default three plans are built: an urban
# district, the county without 街道 and 舒兰市 with its exclave. JILIN_CITY_FULL=1 builds all nine.
CITY_SUBSET = ("220211", "220221", "220283")


@pytest.mark.timeout(300)
def test_jilin_city_plans_build(districts):
    full = os.environ.get("JILIN_CITY_FULL", "") not in ("", "0")
    plans = JILIN_CITY_PLANS if full else [p for p in JILIN_CITY_PLANS if p.adcode in CITY_SUBSET]
    lay = build_area_layers(districts, plans, seed=SEED)
    _check_city_layers(lay, plans)
    # the county seat's 社区 (永吉县 has no 街道) lie around its urban centre
    if "220221" in lay.districts.code.values:
        to_m = pyproj.Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
        plan = next(p for p in plans if p.adcode == "220221")
        centre = shapely.Point(to_m.transform(*plan.urban_centre))
        comm = lay.communities.to_crs(METRIC_CRS)
        comm = comm[(comm.district_code == "220221") & comm.urban]
        seat = comm[comm.geometry.distance(centre) < 1.0]
        assert len(seat) == 1
        same_town = comm[comm.street_code == seat.street_code.iloc[0]]
        assert len(same_town) > 2  # the seat town holds most of the county's 社区
        assert (same_town.geometry.centroid.distance(centre) < 3 * plan.urban_radius_km * 1000).all()
