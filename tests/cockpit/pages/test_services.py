"""服务与需求 callbacks without a browser, against pandas of their own on the same warehouse."""
import datetime as dt

import duckdb
import pandas as pd
import pytest

from etl.workcalendar import is_workday
from tests.cockpit import as_figures, signed_in


@pytest.fixture(scope="module")
def tables(tiny_db):
    con = duckdb.connect(str(tiny_db), read_only=True)
    out = {t.split(".")[1]: con.execute(f"SELECT * FROM {t}").df() for t in
           ("core.service_projects", "core.service_activities", "core.needs", "core.volunteers",
            "core.volunteer_teams", "mart.services_monthly")}
    out["as_of"] = con.execute("SELECT as_of FROM ops.meta").fetchall()[0][0].date()
    con.close()
    return out


def _deadline(reported: dt.date, limit: int) -> dt.date:
    """The limit-th working day after the registration date, counted day by day."""
    day, left = reported, limit
    while left:
        day += dt.timedelta(days=1)
        left -= is_workday(day)
    return day


def _expected(t, prefix: str, days: int | None) -> dict:
    as_of = t["as_of"]
    start = dt.date.min if days is None else as_of - dt.timedelta(days=days - 1)
    d = lambda s: pd.to_datetime(s).dt.date   # noqa: E731
    p = t["service_projects"][t["service_projects"]["community_code"].str.startswith(prefix)]
    p = p[(d(p["start_date"]) <= as_of) & (d(p["end_date"]) >= start)]
    a = t["service_activities"][t["service_activities"]["community_code"].str.startswith(prefix)]
    a = a[(d(a["activity_date"]) >= start) & (d(a["activity_date"]) <= as_of)]
    v = t["volunteers"][t["volunteers"]["community_code"].str.startswith(prefix)]
    v = v[d(v["registered_date"]) <= as_of]
    n = t["needs"][t["needs"]["grid_code"].str.startswith(prefix)].copy()
    n = n[(d(n["reported_date"]) >= start) & (d(n["reported_date"]) <= as_of)]
    n["deadline"] = [_deadline(r, int(k)) for r, k in zip(d(n["reported_date"]), n["time_limit_days"])]
    resolved = d(n["resolved_date"])
    closed = n["resolved_date"].notna() & (resolved <= as_of)
    late = closed & (resolved > n["deadline"])
    open_over = ~closed & (n["deadline"] < as_of)
    return {
        "projects": len(p), "activities": len(a), "participants": int(a["participants"].sum()),
        "turnout": int(a["volunteers"].sum()), "volunteers": len(v),
        "hours": float(v["service_hours"].sum()),
        "needs": len(n), "resolved": int((n["status"] == "已解决").sum()),
        "unable": int((n["status"] == "无法解决").sum()),
        "open": int((~closed & ~open_over).sum()), "open_overdue": int(open_over.sum()),
        "closed_late": int(late.sum()),
        "monthly": a.assign(month=pd.to_datetime(a["activity_date"]).dt.to_period("M")).groupby("month").size(),
    }


def _check(out, exp):
    projects, activities, participants, turnout, volunteers, vdetail, monthly_fig = (
        out["activities"][k] for k in ("projects", "activities", "participants", "turnout", "volunteers",
                                       "volunteers_detail", "monthly"))
    assert projects == f"{exp['projects']:,}"
    assert activities == f"{exp['activities']:,}"
    assert participants == f"{exp['participants']:,}"
    assert turnout == f"{exp['turnout']:,}"
    assert volunteers == f"{exp['volunteers']:,}"
    assert f"累计服务 {exp['hours']:,.1f} 小时" in vdetail
    assert sum(sum(tr.y) for tr in monthly_fig.data) == exp["activities"]
    needs, rate, detail, open_, overdue, late = (
        out["needs"][k] for k in ("needs", "resolution", "resolution_detail", "open", "open_overdue", "closed_late"))
    assert needs == f"{exp['needs']:,}"
    assert rate == (f"{100 * exp['resolved'] / exp['needs']:.1f}" if exp["needs"] else "—")
    assert f"已解决 {exp['resolved']:,} · 无法解决 {exp['unable']:,}" in detail
    assert (open_, overdue, late) == (f"{exp['open']:,}", f"{exp['open_overdue']:,}",
                                      f"{exp['closed_late']:,}")


def _call(app, area, period):
    from cockpit.pages.services import refresh_activities, refresh_needs, refresh_volunteers
    with signed_in(app):
        return {"activities": as_figures(refresh_activities(area, period, 0)),
                "needs": as_figures(refresh_needs(area, period, 0)),
                "volunteers": as_figures(refresh_volunteers(area, 0))}


def test_counters_equal_pandas(app, tables):
    exp = _expected(tables, "2202", 90)
    assert exp["activities"] > 0 and exp["needs"] > 0 and exp["closed_late"] > 0
    _check(_call(app, "2202", "90"), exp)


def test_all_time_and_a_street(app, tables):
    _check(_call(app, "2202", "all"), _expected(tables, "2202", None))
    street = sorted(tables["needs"]["street_code"].unique())[0]
    exp = _expected(tables, street, 30)
    assert exp["needs"] < _expected(tables, "2202", 30)["needs"]
    _check(_call(app, street, "30"), exp)


def test_forged_codes_fall_back_to_the_viewer_scope(app, tables):
    city = _expected(tables, "2202", 90)
    for forged in ("110105", "2202' OR 1=1 --", None, 42):
        _check(_call(app, forged, "90"), city)
    _check(_call(app, "2202", "9999"), city)          # an unknown period: the default (近90日)


def test_monthly_chart_equals_the_mart_over_all_time(app, tables):
    """Per project type, the chart over all time adds up to mart.services_monthly's activities."""
    fig = _call(app, "2202", "all")["activities"]["monthly"]
    chart = {tr.name: sum(tr.y) for tr in fig.data}
    mart = tables["services_monthly"].dropna(subset=["activities"])
    assert chart == {k: int(v) for k, v in mart.groupby("project_type")["activities"].sum().items()}


def test_working_days_not_calendar_days(tables):
    """The limit counts working days: on this data, calendar days would call more needs late."""
    n = tables["needs"].dropna(subset=["resolved_date"])
    rep, res = pd.to_datetime(n["reported_date"]).dt.date, pd.to_datetime(n["resolved_date"]).dt.date
    by_workdays = sum(r2 > _deadline(r1, int(k)) for r1, r2, k in zip(rep, res, n["time_limit_days"]))
    by_calendar = sum(r2 > r1 + dt.timedelta(days=int(k)) for r1, r2, k in zip(rep, res, n["time_limit_days"]))
    assert 0 < by_workdays < by_calendar


def test_open_needs_table(app, tables):
    from cockpit.context import warehouse
    from cockpit.queries import services as q
    from cockpit.scope import CITY
    with signed_in(app):
        frame = q.needs_open(warehouse(), CITY, 15)
    n = tables["needs"]
    as_of = tables["as_of"]
    open_ = n[n["resolved_date"].isna()]
    assert len(frame) == min(15, len(open_))
    assert set(frame["need_id"]) <= set(open_["need_id"])
    assert frame["days_left"].is_monotonic_increasing
    for row in frame.itertuples():
        reported = open_.loc[open_["need_id"] == row.need_id, "reported_date"].iloc[0].date()
        assert pd.Timestamp(row.deadline).date() == _deadline(reported, row.time_limit_days)
        assert row.overdue == (pd.Timestamp(row.deadline).date() < as_of)
    # no personal or free-text columns leave the server
    assert not {"content", "grid_code", "target_group", "name_masked"} & set(frame.columns)


def test_no_volunteer_identity_in_any_output(app, tables):
    out = _call(app, "2202", "all")
    text = repr(out)
    for col in ("name_masked", "id_number_masked", "phone_masked"):
        for value in tables["volunteers"][col].head(30):
            assert value not in text


def test_empty_area_renders_no_data(app, tables):
    """A community with no activity and no need in the last 30 days: zero counters, charts that
    say what they lack."""
    as_of = tables["as_of"]
    start = as_of - dt.timedelta(days=29)
    recent = lambda f, col: set(f.loc[pd.to_datetime(f[col]).dt.date >= start, "community_code"])  # noqa: E731
    busy = recent(tables["service_activities"], "activity_date") | recent(tables["needs"], "reported_date")
    quiet = sorted(set(tables["needs"]["community_code"]) - busy)
    assert quiet, "the tiny data should have a community without recent services"
    out = _call(app, quiet[0], "30")
    assert out["activities"]["activities"] == "0" and out["needs"]["needs"] == "0"
    assert out["needs"]["resolution"] == "—"
    from cockpit.figures.services import NO_ACTIVITIES, NO_NEEDS
    assert out["activities"]["monthly"].layout.annotations[0].text == NO_ACTIVITIES
    assert out["activities"]["communities"].layout.annotations[0].text == NO_ACTIVITIES
    by_dimension = [v for k, v in out["needs"].items() if k.startswith("by_")]
    assert len(by_dimension) == 4 and all(f.layout.annotations[0].text == NO_NEEDS for f in by_dimension)


def test_the_area_choices_are_the_accounts_areas(world, tiny_warehouse):
    """As the browser asks for them on a new generation: the account's own area first, then
    the streets and communities inside it, no grids."""
    from tests.cockpit.web import client, post
    street = world["roles"]["street"][1]
    status, out = post(client(world, "street"), world, "services-area", {})
    values = [o["value"] for o in out["services-area.options"]]
    assert status == 200 and values[0] == street and len(values) > 1
    assert all(v.startswith(street) and len(v) <= 12 for v in values)


def test_teams_table_lists_the_teams_with_most_hours(app, tables, monkeypatch):
    """A city has thousands of teams: the table lists the TOP_TEAMS with the most service hours
    and says how many there are; the type chart still counts every team."""
    from cockpit.cache import cache
    from cockpit.pages import services
    monkeypatch.setattr(services, "TOP_TEAMS", 5)
    with app.server.app_context():
        cache.clear()
    teams = tables["volunteer_teams"]
    chart, _community, _skill, note_and_table = _call(app, "2202", "90")["volunteers"]
    as_of = pd.Timestamp(tables["as_of"])
    founded = teams[pd.to_datetime(teams["founded_date"]) <= as_of]
    assert len(founded) > 5
    note, table = note_and_table
    assert note.children == f"共 {len(founded):,} 支，列出累计服务时长最多的 5 支"
    rows = table.children[1].children
    top = founded.sort_values(["service_hours", "team_id"], ascending=[False, True]).head(5)
    assert [r.children[0].children for r in rows] == list(top["name"])
    assert sum(chart.data[0].customdata[:, 0]) == len(founded)      # teams per type, all of them
    with app.server.app_context():
        cache.clear()
