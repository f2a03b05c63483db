"""网格地图 callbacks without a browser, against pandas of their own on the same warehouse."""
import datetime as dt
import json

import duckdb
import pandas as pd
import pytest
from dash import Patch
from dash._callback_context import context_value
from dash._utils import AttributeDict
from dash.exceptions import PreventUpdate
from plotly.utils import PlotlyJSONEncoder

from cockpit.scope import CITY, Scope
from tests.cockpit import fetched, grid_map_render, signed_in


@pytest.fixture(scope="module")
def page(app):
    from cockpit.pages import grid_map  # pages register once the app exists
    return grid_map


@pytest.fixture(scope="module")
def data(tiny_db):
    """Whole tables, filtered in pandas: the independent side of every comparison."""
    con = duckdb.connect(str(tiny_db), read_only=True)
    out = {name.split(".")[1]: con.execute(f"SELECT * FROM {name}").df()
           for name in ("core.events", "core.needs", "core.areas", "mart.person_groups_per_grid")}
    out["persons"] = con.execute("SELECT grid_code FROM core.persons").df()
    out["as_of"] = pd.Timestamp(con.execute("SELECT as_of FROM ops.meta").fetchall()[0][0])
    con.close()
    return out


def expected(data, prefix: str, child_len: int, days: int) -> pd.DataFrame:
    """Every metric per child code, computed from the raw tables (not the marts)."""
    as_of = data["as_of"]
    start = pd.Timestamp(as_of.date() - dt.timedelta(days=days - 1))
    ev = data["events"]
    ev = ev[ev["grid_code"].str.startswith(prefix) & (ev["reported_at"] >= start)
            & (ev["reported_at"] <= as_of)].assign(code=lambda f: f["grid_code"].str[:child_len])
    live = ev["status"] != "不予立案"
    ev = ev.assign(open=~ev["is_closed"] & live,
                   overdue=ev["handled_at"].isna() & (ev["deadline"] < as_of) & live,
                   sat=ev["satisfaction"].isin(["满意", "基本满意"]),
                   rated=ev["satisfaction"].isin(["满意", "基本满意", "不满意"]))
    by = ev.groupby("code").agg(events=("event_id", "size"), open=("open", "sum"),
                                overdue_open=("overdue", "sum"), satisfied=("sat", "sum"),
                                rated=("rated", "sum"))
    nd = data["needs"]
    day = pd.to_datetime(nd["reported_date"])
    nd = nd[nd["grid_code"].str.startswith(prefix) & (day >= start) & (day <= as_of.normalize())]
    by["needs_open"] = (nd[~nd["status"].isin(["已解决", "无法解决"])]
                        .groupby(nd["grid_code"].str[:child_len]).size())
    persons = data["persons"]["grid_code"]
    persons = persons[persons.str.startswith(prefix)]
    by["residents"] = persons.groupby(persons.str[:child_len]).size()
    groups = data["person_groups_per_grid"]
    groups = groups[groups["grid_code"].str.startswith(prefix)]
    by["elderly_alone"] = groups.groupby(groups["grid_code"].str[:child_len])["elderly_alone"].sum()
    by["satisfaction"] = 100 * by["satisfied"] / by["rated"].where(by["rated"] > 0)
    by["events_per_1000"] = 1000 * by["events"] / by["residents"]
    return by


def trigger(prop_id: str, value):
    """What Dash sets before a callback runs: which input fired (ctx.triggered_id reads it)."""
    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": value}]))


def click(code: str) -> dict:
    trigger("grid-map-graph.clickData", {"points": [{"location": code}]})
    return {"points": [{"curveNumber": 0, "pointNumber": 0, "location": code}]}


def codes(data, level: str, parent: str) -> list[str]:
    a = data["areas"]
    a = a[(a["level"] == level) & a["code"].str.startswith(parent) & a["valid_to"].isna()]
    return sorted(a["code"])


def values_by_code(figure) -> dict:
    """code → z of the choropleth, and code-less retired marks by their hover title."""
    return dict(zip(figure.data[0].locations, figure.data[0].z))


def split_grid(data) -> str:
    """A grid code that was split (retired, no current version) and has events."""
    a = data["areas"]
    retired = set(a.loc[a["valid_to"].notna(), "code"]) - set(a.loc[a["valid_to"].isna(), "code"])
    hits = data["events"]["grid_code"].isin(retired)
    return sorted(data["events"].loc[hits, "grid_code"].unique())[0]


def test_opens_on_streets_and_numbers_equal_sql(page, app, data):
    district = codes(data, "district", "")[0]
    with signed_in(app):
        figure, drawn, crumbs, title, note, ranking = grid_map_render(page, None, "events", "30", 0, None)
    # a city scope over one district opens on its streets; the breadcrumb starts at the scope
    assert list(figure.data[0].locations) == codes(data, "street", district)
    assert [c.children for c in crumbs if getattr(c, "id", None)] == ["吉林市", "船营区"]
    assert drawn.endswith(f"|{CITY.code}|{district}") and title.startswith("船营区")
    exp = expected(data, district, 9, 30)
    assert values_by_code(figure) == exp["events"].to_dict()
    total = next(c for c in ranking if getattr(c, "className", "") == "grid-map-total-row")
    assert total.children[1].children == f"{exp['events'].sum():,}"
    shapes = fetched(app, figure.data[0].geojson)
    assert [f["properties"]["code"] for f in shapes["features"]] == list(figure.data[0].locations)


def test_metrics_per_community_equal_pandas(page, app, data):
    """Every metric the selector offers, for one street's communities and each period."""
    from cockpit.context import warehouse
    from cockpit.queries import grid_map as q
    street = codes(data, "street", "")[1]
    for period, days in (("7", 7), ("90", 90), ("365", 365)):
        exp = expected(data, street, 12, days)
        with signed_in(app):
            got = q.metrics(warehouse(), Scope(street, "x"), days).set_index("code")
        assert list(got.index) == codes(data, "community", street)
        for col in ("events", "open", "overdue_open", "needs_open", "rated", "residents",
                    "elderly_alone"):
            assert got[col].astype(int).to_dict() == exp[col].reindex(got.index).fillna(0).astype(int).to_dict(), col
        for col in ("satisfaction", "events_per_1000"):
            pd.testing.assert_series_equal(got[col].astype(float), exp[col].reindex(got.index).astype(float),
                                           check_names=False, rtol=1e-12)


def test_drill_by_click_and_back_by_breadcrumb(page, app, data):
    street = codes(data, "street", "")[0]
    community = codes(data, "community", street)[0]
    with signed_in(app):
        assert page.drill(click(street), [], None) == street
        assert page.drill(click(community), [], street) == community
        figure, *_, crumbs, title, _note, _ranking = grid_map_render(page, community, "events", "30", 0, None)
        grid = figure.data[0].locations[0]
        assert page.drill(click(grid), [], community) == grid     # a grid shows its own events
        with pytest.raises(PreventUpdate):       # and is the last level
            page.drill(click(grid), [], grid)
        with pytest.raises(PreventUpdate):       # a click not below the position is stale
            page.drill(click(codes(data, "community", street)[1]), [], street[:6])
        trigger(json.dumps({"code": street, "type": "grid-map-crumb"}) + ".n_clicks", 1)
        assert page.drill(None, [1, 1, 1, 0], community) == street
        trigger(json.dumps({"code": street, "type": "grid-map-crumb"}) + ".n_clicks", 0)
        with pytest.raises(PreventUpdate):       # a re-rendered breadcrumb, not a click
            page.drill(None, [0, 0, 0, 0], community)
    assert list(figure.data[0].locations) == codes(data, "grid", community)
    names = [c.children for c in crumbs if getattr(c, "id", None)]
    assert len(names) == 4 and names[-1] == title.split(" · ")[0]


def test_grid_counts_sum_to_the_community_and_sql(page, app, data):
    """Events on a grid split during the period are drawn as a retired mark, never dropped:
    grid rows sum to the community's count at the level above, and both equal SQL."""
    old = split_grid(data)
    community, street = old[:12], old[:9]
    for period, days in (("30", 30), ("365", 365)):
        with signed_in(app):
            grids = grid_map_render(page, community, "events", period, 0, None)[0]
            communities = grid_map_render(page, street, "events", period, 0, None)[0]
        exp = expected(data, community, 15, days)["events"]
        drawn = values_by_code(grids)
        marks = list(grids.data[1].marker.color)
        assert sum(drawn.values()) + sum(marks) == values_by_code(communities)[community] == exp.sum()
        assert {k: v for k, v in drawn.items() if v} == exp.drop(old, errors="ignore").to_dict()
        assert sorted(m for m in marks if m) == exp.reindex([old]).dropna().tolist()
        assert old not in drawn and set(drawn) == set(codes(data, "grid", community))
    assert marks and "已撤销" in grids.data[1].customdata[0][0]


def test_metric_or_period_change_sends_a_patch(page, app, data):
    street = codes(data, "street", "")[2]
    with signed_in(app):
        full = grid_map_render(page, street, "events", "30", 0, None)
        patch = grid_map_render(page, street, "satisfaction", "90", 0, full[1])
        new_position = grid_map_render(page, codes(data, "street", "")[0], "satisfaction", "90", 0, full[1])
    assert isinstance(patch[0], Patch) and not isinstance(new_position[0], Patch)
    ops = {tuple(o["location"]): o["params"]["value"] for o in patch[0].to_plotly_json()["operations"]}
    assert ("data", 0, "geojson") not in ops and ("layout", "coloraxis") in ops
    assert "满意度" in ops[("layout", "coloraxis")]["colorbar"]["title"]["text"]
    exp = expected(data, street, 12, 90)["satisfaction"]
    cmin = ops[("layout", "coloraxis")]["cmin"]
    got = dict(zip(ops[("data", 0, "locations")], ops[("data", 0, "z")]))
    assert got == pytest.approx({c: (cmin if pd.isna(v) else v) for c, v in exp.reindex(list(got)).items()})
    size = lambda x: len(json.dumps(x.to_plotly_json(), cls=PlotlyJSONEncoder))  # noqa: E731
    assert size(patch[0]) < size(full[0])      # values only: no names, no layout, no polygons' URL


def test_forged_position_falls_back_to_the_viewer_scope(page, app, data, monkeypatch):
    with signed_in(app):
        for forged in ("110105", "2202' OR 1=1 --", "220204999", {"code": "1"}, 42):
            figure, _, crumbs, title, *_ = grid_map_render(page, forged, "bogus-metric", "bogus", 0, None)
            assert list(figure.data[0].locations) == codes(data, "district", "")
            assert title.startswith("吉林市") and "事件数（近30日）" in title
        # a viewer who may see one street cannot widen to the district or a neighbour street
        mine, other = codes(data, "street", "")[:2]
        monkeypatch.setattr(page, "viewer_scope", lambda: Scope(mine, "本街道"))
        for forged in (mine[:6], other, codes(data, "community", other)[0], CITY.code):
            figure, *_ = grid_map_render(page, forged, "events", "30", 0, None)
            assert list(figure.data[0].locations) == codes(data, "community", mine)
        with pytest.raises(PreventUpdate):
            page.drill(click(codes(data, "community", other)[0]), [], other)
        # a scope with no areas: a clear 无数据, not an error
        monkeypatch.setattr(page, "viewer_scope", lambda: Scope("220299", "空辖区"))
        figure, drawn, _, _, note, _ = grid_map_render(page, None, "events", "30", 0, None)
    assert note == "无数据" and drawn is None and figure.layout.annotations[0].text == "无数据"
