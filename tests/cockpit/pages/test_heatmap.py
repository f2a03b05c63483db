"""事件热力's callbacks, without a browser, against SQL and shapely of their own on the same warehouse."""
import datetime as dt
import json
import math

import duckdb
import numpy as np
import pytest
import shapely

from cockpit.scope import CITY, Scope
from tests.cockpit import as_figures, fetched, signed_in


@pytest.fixture(scope="module")
def con(tiny_db):
    c = duckdb.connect(str(tiny_db), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def as_of(con):
    return con.execute("SELECT as_of FROM ops.meta").fetchall()[0][0].date()


def _where(prefix, start, end, cls="", sub=""):
    """The filter written another way: LIKE on the code, BETWEEN on the day."""
    sql = "grid_code LIKE ? AND CAST(reported_at AS DATE) BETWEEN ? AND ?"
    params = [prefix + "%", start, end]
    if cls:
        sql += " AND class_code = ?"
        params.append(cls)
    if sub:
        sql += " AND subclass_code = ?"
        params.append(sub)
    return sql, params


def _count(con, *args, **kw):
    where, params = _where(*args, **kw)
    return con.execute(f"SELECT count(*) FROM core.events WHERE {where}", params).fetchall()[0][0]


def _refresh(app, start, end, cls=None, sub=None, area=CITY.code):
    from cockpit.pages.heatmap import refresh_heatmap  # pages register once the app exists
    with signed_in(app):
        return as_figures(refresh_heatmap(start.isoformat(), end.isoformat(), cls, sub, area, 0))


def _drawn_hexagons(app, trace) -> list:
    """The polygons the browser draws: the lattice fetched from the trace's URL, the hexagon of
    each location in order (each location must have one)."""
    lattice = {f["id"]: f["geometry"] for f in fetched(app, trace.geojson)["features"]}
    assert set(trace.locations) <= set(lattice), "a hexagon with events is missing from the lattice"
    return shapely.from_geojson([json.dumps(lattice[i]) for i in trace.locations])


def _hex_counts_by_geometry(con, polys, *args, **kw):
    """Each event point tested against the hexagon polygons the browser draws:
    (hexagons per point, points per hexagon, points within ~1 m of an edge, where the 1e-5°
    rounding of the sent corners may move a point to the neighbour)."""
    where, params = _where(*args, **kw)
    pts = shapely.points(np.array(con.execute(
        f"SELECT lon, lat FROM core.events WHERE {where} AND lon IS NOT NULL", params).fetchall()))
    hit = shapely.STRtree(polys).query(pts, predicate="intersects")
    near = shapely.STRtree(shapely.boundary(polys)).query(pts, predicate="dwithin", distance=1e-6)
    return (np.bincount(hit[0], minlength=len(pts)), np.bincount(hit[1], minlength=len(polys)),
            len(np.unique(near[0])))


def test_totals_hexes_weekday_hour_calendar_equal_sql(app, con, as_of):
    start, end = as_of - dt.timedelta(days=89), as_of
    total, detail, hex_fig, wh_fig, cal_fig = _refresh(app, start, end)
    n = _count(con, CITY.code, start, end)
    assert n > 1000 and total == f"{n:,}"
    assert f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}（90 天）" in detail

    # hexagons: only non-empty ones are sent; their counts add up to the filter's count …
    trace = hex_fig.data[0]
    counts = np.asarray(trace.customdata, dtype=int)
    assert counts.min() >= 1 and counts.sum() == n
    assert len(trace.locations) == len(counts)
    # … and each hexagon holds exactly the points inside its drawn polygon
    drawn = _drawn_hexagons(app, trace)
    per_point, per_hex, near_edge = _hex_counts_by_geometry(con, drawn, CITY.code, start, end)
    assert (per_point >= 1).all()                 # the hexagons cover every point
    assert np.abs(per_hex - counts).sum() <= 2 * near_edge < 0.005 * n
    assert hex_fig.data[1].type == "scattergeo" and hex_fig.data[1].mode == "lines"

    # weekday × hour equals SQL grouped by isodow / hour
    where, params = _where(CITY.code, start, end)
    rows = con.execute(f"SELECT isodow(reported_at), hour(reported_at), count(*) FROM core.events "
                       f"WHERE {where} GROUP BY ALL", params).fetchall()
    expected = np.zeros((7, 24), dtype=int)
    for dow, hour, c in rows:
        expected[dow - 1, hour] = c
    assert (np.asarray(wh_fig.data[0].z, dtype=int) == expected).all()
    assert list(wh_fig.data[0].y) == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]

    # calendar: one cell per day of the period, each equal to SQL by date
    z = np.asarray(cal_fig.data[0].z, dtype=float)
    days = con.execute(f"SELECT CAST(reported_at AS DATE) d, count(*) FROM core.events WHERE {where} "
                       f"GROUP BY d", params).fetchall()
    assert np.isfinite(z).sum() == 90 and np.nansum(z) == n
    monday0 = start - dt.timedelta(days=start.weekday())
    for day, c in days:
        assert z[day.weekday(), (day - monday0).days // 7] == c


def test_category_filter_matches_sql_and_is_whitelisted(app, con, as_of):
    start, end = as_of - dt.timedelta(days=364), as_of
    all_total = _refresh(app, start, end)[0]
    cls, sub = con.execute("SELECT class_code, subclass_code FROM core.events GROUP BY ALL "
                           "ORDER BY count(*) DESC LIMIT 1").fetchall()[0]
    by_class = _refresh(app, start, end, cls)
    n_class = _count(con, CITY.code, start, end, cls)
    assert by_class[0] == f"{n_class:,}" != all_total
    assert sum(by_class[2].data[0].customdata) == n_class
    by_sub = _refresh(app, start, end, cls, sub)
    n_sub = _count(con, CITY.code, start, end, cls, sub)
    assert by_sub[0] == f"{n_sub:,}" and 0 < n_sub < n_class
    assert np.asarray(by_sub[3].data[0].z).sum() == n_sub
    assert np.nansum(np.asarray(by_sub[4].data[0].z, dtype=float)) == n_sub
    # a subclass of another class is dropped; an unknown class means all classes
    other = con.execute("SELECT subclass_code FROM core.event_categories WHERE class_code <> ? LIMIT 1",
                        [cls]).fetchall()[0][0]
    assert _refresh(app, start, end, cls, other)[0] == by_class[0]
    assert _refresh(app, start, end, "01' OR 1=1 --", None)[0] == all_total


def test_area_narrows_and_forged_codes_fall_back(app, con, as_of, monkeypatch):
    start, end = as_of - dt.timedelta(days=29), as_of
    streets = [r[0] for r in con.execute(
        "SELECT code FROM core.areas WHERE level = 'street' ORDER BY code").fetchall()]
    first, second = streets[0], streets[1]
    total, detail, hex_fig, *_ = _refresh(app, start, end, area=first)
    n_first = _count(con, first, start, end)
    assert total == f"{n_first:,}" and sum(hex_fig.data[0].customdata) == n_first
    street_name = con.execute("SELECT name FROM core.areas WHERE code = ?", [first]).fetchall()[0][0]
    assert street_name in detail
    n_all = _count(con, CITY.code, start, end)
    for forged in ("110105", "2202' OR 1=1 --", "", None, "22020400"):
        assert _refresh(app, start, end, area=forged)[0] == f"{n_all:,}"
    # a viewer limited to one street asking for another street sees their own street
    from cockpit.pages import heatmap as page
    monkeypatch.setattr(page, "viewer_scope", lambda: Scope(first, "某街道"))
    assert _refresh(app, start, end, area=second)[0] == f"{n_first:,}"
    assert _refresh(app, start, end, area=CITY.code)[0] == f"{n_first:,}"


def test_empty_filter_shows_no_data(app):
    total, detail, hex_fig, wh_fig, cal_fig = _refresh(app, dt.date(2001, 1, 1), dt.date(2001, 1, 7))
    assert total == "0" and "无数据" in detail
    for f in (hex_fig, wh_fig, cal_fig):
        assert len(f.data) == 0 and "无数据" in f.layout.annotations[0].text


def test_presets_follow_as_of_and_hand_picked_dates_switch_to_custom(app, as_of):
    from cockpit.pages.heatmap import HEATMAP_RANGE, period_update
    with signed_in(app):
        _, s, e = period_update(None, "7", None, None)
        assert (s, e) == ((as_of - dt.timedelta(days=6)).isoformat(), as_of.isoformat())
        _, s, _ = period_update("heatmap-preset", "365", None, None)
        assert s == (as_of - dt.timedelta(days=364)).isoformat()
        preset, *_ = period_update(HEATMAP_RANGE, "30", "2026-01-01", "2026-02-01")
        assert preset == "custom"


def test_hexagons_a_few_hundred_metres_across_the_district(app, con):
    from cockpit import geometry
    with signed_in(app):
        from cockpit.context import warehouse
        district = geometry.hex_grid(warehouse(), CITY.code)
        community = con.execute("SELECT code FROM core.areas WHERE level = 'community' "
                                "ORDER BY area_km2 LIMIT 1").fetchall()[0][0]
        small = geometry.hex_grid(warehouse(), community)
    assert 250 <= district.width_m <= 400
    assert small.width_m < district.width_m


def test_the_whole_city_gets_hexagons_kilometres_across():
    """Jilin City spans about 250 km: ~70 hexagons across it, not 1 km ones (6.6 MB of them)."""
    from cockpit.queries.heatmap import HEXES_ACROSS, HexGrid
    city = HexGrid.for_extent((125.67, 42.52, 128.07, 44.67))        # the nine divisions' bounds
    assert 2500 <= city.width_m <= 5000
    span_m = (128.07 - 125.67) * 111_320 * math.cos(math.radians(43.6))
    assert 0.5 * HEXES_ACROSS <= span_m / city.width_m <= 1.5 * HEXES_ACROSS
