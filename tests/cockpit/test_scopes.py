"""Every scope gets views that make sense, without a browser: the big screen's map by jurisdiction
(communities, grids, or a grid's events as points), a grid's own page of 网格地图, no colour bar over
fewer than two distinct values, open items overdue first, and the phone view's data and its
incident check. Numbers against SQL of the tests' own."""
import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest
from dash import no_update
from hypothesis import given, settings, strategies as st

from cockpit.accounts import Account
from cockpit.figures import grid_map as grid_fig, theme
from cockpit.figures.area_map import POINT_STATES, event_points
from tests.cockpit import as_figures, grid_map_render, signed_in


def sql(db, query, params=()):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, list(params)).fetchall()


@pytest.fixture(scope="module")
def busy_grid(tiny_db) -> str:
    """The grid with the most open items past their deadline."""
    return sql(tiny_db, "SELECT grid_code FROM mart.event_sla GROUP BY 1 ORDER BY count(*) FILTER (overdue_open) "
                        "DESC, 1 LIMIT 1")[0][0]


def account(role, area):
    return Account("T-X", role, area)


# ---------------------------------------------------------------- colour scales

values = st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=False, width=32), st.none()), max_size=12)


@settings(max_examples=200, deadline=None)
@given(values)
def test_a_colour_scale_needs_two_distinct_values(vs):
    finite = {float(v) for v in vs if v is not None and not np.isnan(v)}
    assert theme.varies(vs) == (len(finite) >= 2)


@settings(max_examples=200, deadline=None)
@given(values, st.sampled_from(sorted(grid_fig.METRICS)))
def test_the_grid_map_shows_no_colour_bar_over_one_value(vs, metric):
    axis, z = grid_fig.color_axis(pd.Series(vs, dtype=float), metric)
    assert len(z) == len(vs)
    assert axis["showscale"] == theme.varies(vs)
    if axis["showscale"]:
        assert axis["cmin"] < axis["cmax"]


def test_one_area_on_the_warning_map_and_one_count_on_the_heatmap_have_no_colour_bar():
    from cockpit.figures.heatmap import hex_map
    from cockpit.figures.warning import alert_map
    areas = pd.DataFrame({"code": ["220204001001001"], "name": ["某网格"], "incidents": [2], "top_subject": ["x"]})
    none = pd.DataFrame({"code": [], "name": [], "incidents": [], "top_subject": [], "kind_name": [], "has_drop": []})
    fig = alert_map(areas, {}, none, {}, pd.DataFrame({"code": []}), {})
    assert fig.data[0].showscale is False
    two = pd.concat([areas, areas.assign(code="220204001001002", incidents=0)])
    assert alert_map(two, {}, none, {}, pd.DataFrame({"code": []}), {}).data[0].showscale
    bins = pd.DataFrame({"q": [0, 1], "r": [0, 0], "events": [3, 3]})
    fig = hex_map(bins, {}, {"lon": [], "lat": [], "bounds": None}, 150)
    assert fig.data[0].showscale is False
    assert hex_map(bins.assign(events=[3, 4]), {}, {"lon": [], "lat": [], "bounds": None}, 150).data[0].showscale


# ---------------------------------------------------------------- the big screen by jurisdiction

def test_the_screen_map_fits_the_jurisdiction(app, tiny_db, busy_grid):
    from cockpit.pages.screen import refresh_overview
    community, street = busy_grid[:12], busy_grid[:9]
    cases = {street: ("community", 12), community: ("grid", 15)}
    for area, (level, length) in cases.items():
        with signed_in(app, account("街道管理员", area)):
            out = as_figures(refresh_overview(0))
        fig, title = out["map"], out["map_title"]
        expected = sql(tiny_db, f"SELECT count(*) FROM core.areas WHERE level = '{level}' AND valid_to IS NULL "
                                "AND starts_with(code, ?)", [area])[0][0]
        assert len(fig.data[0].locations) == expected > 1 and all(len(c) == length for c in fig.data[0].locations)
        assert ("社区" if level == "community" else "网格") in title
    # one grid: its events of the last 30 days as points on its polygon, and its 重点关爱对象
    with signed_in(app, account("专职网格员", busy_grid)):
        out = as_figures(refresh_overview(0))
    fig, title, third, third_detail = out["map"], out["map_title"], out["third"], out["third_detail"]
    as_of = sql(tiny_db, "SELECT as_of FROM ops.meta")[0][0]
    start = dt.datetime.combine(as_of.date() - dt.timedelta(days=29), dt.time())
    events = sql(tiny_db, "SELECT count(*) FROM core.events WHERE grid_code = ? AND reported_at BETWEEN ? AND ?",
                 [busy_grid, start, as_of])[0][0]
    assert list(fig.data[0].locations) == [busy_grid] and fig.data[0].showscale is False
    assert sum(len(t.lon) for t in fig.data[1:]) == events > 0 and "本网格" in title
    care = sql(tiny_db, "SELECT elderly_alone + low_income + disabled FROM mart.area_population WHERE code = ?",
               [busy_grid])[0][0]
    assert third == f"{care:,}" and "独居老人" in third_detail


def test_event_points_scrub_the_address_and_colour_by_state():
    points = pd.DataFrame({
        "event_id": ["a", "b", "c"], "lon": [126.5, 126.51, 126.52], "lat": [43.8, 43.81, 43.82],
        "subclass_name": ["乱停车"] * 3, "class_name": ["街面秩序"] * 3,
        "reported_at": pd.to_datetime(["2026-10-01 08:00"] * 3), "status": ["处置中", "处置中", "已结案"],
        "address": ["幸福路3号 联系人电话13912345678", "身份证220204198001011232处", None],
        "department": ["城管", None, "城管"], "is_open": [True, True, False], "overdue_open": [True, False, False]})
    fig = event_points(points, ["220204001001001"], {}, 30)
    shown = " ".join(str(x) for t in fig.data[1:] for row in t.customdata for x in row)
    assert "13912345678" not in shown and "139****5678" in shown
    assert "220204198001011232" not in shown and "220204" in shown
    listed = sorted(fig.data[1:], key=lambda t: t.legendrank)      # the worst listed first, drawn last
    assert [t.name.split("（")[0] for t in listed] == ["超期在办", "在办", "已结案"] == \
        [t.name.split("（")[0] for t in fig.data[:0:-1]]
    assert [t.marker.color for t in listed] == [POINT_STATES[k][1] for k in ("overdue", "open", "closed")]
    empty = event_points(points.iloc[:0], ["220204001001001"], {}, 30)
    assert "无上报事件" in empty.layout.annotations[0].text


def test_open_items_overdue_first_then_nearest_deadline(app, busy_grid):
    from cockpit.context import warehouse
    from cockpit.queries import screen as q
    from cockpit.scope import Scope
    with signed_in(app):
        items = q.open_items(warehouse(), Scope(busy_grid[:9], "x"), 200)
        overdue = q.open_items(warehouse(), Scope(busy_grid[:9], "x"), 200, overdue_only=True)
    assert items["overdue_open"].tolist() == sorted(items["overdue_open"], reverse=True)
    late = items[items["overdue_open"]]["minutes_to_deadline"]
    assert late.is_monotonic_increasing and (late < 0).all()
    assert overdue["overdue_open"].all() and len(overdue) == int(items["overdue_open"].sum())


@pytest.mark.parametrize("minutes, text", [(-3 * 24 * 60, "超期 3 天"), (-90, "超期 2 小时"), (-5, "超期 1 小时"),
                                           (5 * 60, "剩 5 小时"), (None, "未定时限"), (float("nan"), "未定时限")])
def test_deadline_text(app, minutes, text):     # the app first: a page registers once one exists
    from cockpit.pages.screen import deadline_text
    assert deadline_text(minutes) == text


# ---------------------------------------------------------------- 网格地图 at a grid

def test_the_grid_map_shows_a_grid_as_its_events(app, busy_grid, tiny_db):
    from cockpit.pages import grid_map as page
    with signed_in(app, account("专职网格员", busy_grid)):
        figure, drawn, crumbs, title, note, ranking = grid_map_render(page, None, "events", "30", 0, None)
        again = grid_map_render(page, None, "satisfaction", "30", 0, drawn)          # another metric: same points
        longer = grid_map_render(page, None, "events", "365", 0, drawn)  # another period: new points
    assert figure.data[0].locations == (busy_grid,) and figure.data[0].showscale is False
    assert sum(len(t.lon) for t in figure.data[1:]) > 0 and "事件分布" in title
    assert again[0] is no_update and longer[0] is not no_update
    assert sum(len(t.lon) for t in longer[0].data[1:]) > sum(len(t.lon) for t in figure.data[1:])
    text = str(ranking)
    open_items = sql(tiny_db, "SELECT count(*) FROM mart.event_sla WHERE is_open AND grid_code = ?", [busy_grid])[0][0]
    assert "在办事项" in text and text.count("超期 ") + text.count("剩 ") + text.count("未定时限") == min(12, open_items)


# ---------------------------------------------------------------- 手机版

def test_the_phone_view_is_for_leaders_and_area_accounts():
    for role in ("区级管理员", "指挥长", "街道管理员", "社区书记", "专职网格员"):
        assert account(role, "220204").may_open("/m"), role
    assert not account("分析研判员", "220204").may_open("/m")
    assert not Account("T-D", "部门处置员", "城管").may_open("/m")


def test_the_phone_view_numbers_and_incidents(app, tiny_db, first_area):
    from cockpit.context import viewer_scope, warehouse
    from cockpit.pages.mobile import course_view, mobile_view
    district = first_area["district"]
    seen_from = ("EXISTS (SELECT 1 FROM warning.incident_areas a WHERE a.incident_id = i.incident_id "
                 "AND starts_with(a.area_code, ?))")          # an incident straddling a boundary: both sides
    ongoing = sql(tiny_db, f"SELECT incident_id FROM warning.incidents i WHERE status = '进行中' AND {seen_from}",
                  [district])
    with signed_in(app, account("指挥长", district)):
        scope_, as_of, counters, cards, overdue = mobile_view(warehouse(), viewer_scope())
        figure, title, facts, hidden = as_figures(course_view(warehouse(), viewer_scope(), ongoing[0][0]))
    assert len(cards) == len(ongoing) > 0 and all("incident=" in c.href for c in cards)
    assert sum(len(t.x) for t in figure.data) > 0 and not hidden and facts
    overdue_n = sql(tiny_db, "SELECT count(*) FROM mart.event_sla WHERE overdue_open AND starts_with(grid_code, ?)",
                    [district])[0][0]
    assert len(overdue) == min(20, overdue_n)
    # an incident of another jurisdiction, named in the URL, is not drawn: a grid and an incident none
    # of whose areas (its own, its neighbours') is that grid or contains it
    grid, outside = sql(tiny_db, """SELECT g.code, i.incident_id FROM core.areas g, warning.incidents i
                                    WHERE g.level = 'grid' AND g.valid_to IS NULL AND NOT EXISTS
                                        (SELECT 1 FROM warning.incident_areas a WHERE a.incident_id = i.incident_id
                                         AND (starts_with(a.area_code, g.code) OR starts_with(g.code, a.area_code)))
                                    ORDER BY g.code, i.incident_id LIMIT 1""")[0]
    with signed_in(app, account("专职网格员", grid)):
        figure, title, facts, hidden = as_figures(course_view(warehouse(), viewer_scope(), outside))
        nothing = as_figures(course_view(warehouse(), viewer_scope(), {"forged": 1}))
    assert title == "该事件不在本辖区" and facts == [] and not figure.data
    assert nothing[3] is True
