"""The first screen's callback, without a browser, against SQL of its own on the same warehouse."""
import datetime as dt

import duckdb
import pytest

from cockpit.queries import screen as q
from cockpit.scope import CITY, Scope
from tests.cockpit import as_figures, fetched, signed_in
from tests.cockpit.expected import screen_counters
from warehouse import generations


def test_callback_counters_equal_sql(app, tiny_db, tiny_warehouse):
    from cockpit.pages.screen import refresh_overview  # pages register once the app exists
    exp = screen_counters(tiny_db, CITY.code)
    with signed_in(app):
        out = as_figures(refresh_overview(0))
    residents, events, rate, detail, on_time = (out[k] for k in ("residents", "events", "closure_rate",
                                                                  "closure_detail", "on_time_rate"))
    fig, title, grids_detail, stamp = out["map"], out["map_title"], out["third_detail"], out["generation"]
    assert residents == f"{exp['residents']:,}"
    assert events == f"{exp['events']:,}"
    assert rate == f"{100 * exp['closed'] / exp['due']:.2f}"
    assert f"应结案 {exp['due']:,}" in detail and f"按期 {exp['on_time']:,}" in detail
    assert on_time == f"{100 * exp['on_time'] / exp['due']:.2f}"
    assert 80 < float(rate) < 100
    assert stamp == f"数据版本 {generations.current(tiny_warehouse).id}"
    trace = fig.data[0]
    con = duckdb.connect(str(tiny_db), read_only=True)
    n_comm = con.execute("SELECT count(*) FROM core.areas WHERE level = 'community'").fetchone()[0]
    shapes = fetched(app, trace.geojson)           # the polygons travel apart, by URL
    assert list(trace.locations) == [f["properties"]["code"] for f in shapes["features"]]
    assert len(trace.locations) == n_comm
    assert title.startswith("社区事件密度") and grids_detail == ""


def test_scope_limits_every_number(app, tiny_db, first_area):
    street = first_area["street"]
    scope = Scope(street, "某街道")
    exp = screen_counters(tiny_db, street)
    with signed_in(app):
        from cockpit.context import warehouse
        k = q.kpis(warehouse(), scope)
        metrics = q.area_metrics(warehouse(), scope, "community")
    assert k["residents"] == exp["residents"] < screen_counters(tiny_db, CITY.code)["residents"]
    assert k["events"] == exp["events"] and k["due"] == exp["due"]
    assert metrics["code"].str.startswith(street).all() and len(metrics) > 0
    assert metrics["events"].sum() == exp["events"]


def test_scope_rejects_non_codes():
    with pytest.raises(ValueError):
        Scope("2202' OR 1=1 --", "x")


def _sql(tiny_db, query, params=None):
    con = duckdb.connect(str(tiny_db), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def test_columns_equal_sql(app, tiny_db):
    from cockpit.pages.screen import refresh_columns
    with signed_in(app):
        out = as_figures(refresh_columns(0))
    open_, overdue, sources, daily, top = out["open"], out["overdue"], out["sources"], out["daily"], out["top"]
    overdue_rows = out["open_items"]
    (exp_open, exp_overdue), = _sql(tiny_db, "SELECT count(*) FILTER (closed_at IS NULL AND status <> '不予立案'), "
                                    "count(*) FILTER (handled_at IS NULL AND status <> '不予立案' AND deadline < "
                                    "(SELECT as_of FROM ops.meta)) FROM core.events WHERE reported_at <= (SELECT as_of FROM ops.meta)")
    assert (open_, overdue) == (f"{exp_open:,}", f"{exp_overdue:,}") and exp_overdue > 0
    as_of = _sql(tiny_db, "SELECT as_of FROM ops.meta")[0][0]
    start = dt.datetime.combine(as_of.date() - dt.timedelta(days=29), dt.time())
    by_source = dict(_sql(tiny_db, "SELECT source, count(*) FROM core.events WHERE reported_at BETWEEN ? AND ? "
                                   "GROUP BY 1", [start, as_of]))
    assert dict(zip(sources.data[0].y, sources.data[0].x)) == by_source
    reported, closed = daily.data[0], daily.data[1]
    assert len(reported.x) == 30 and sum(reported.y) == sum(by_source.values())
    exp_closed = _sql(tiny_db, "SELECT count(*) FROM core.events WHERE closed_at BETWEEN ? AND ?", [start, as_of])[0][0]
    assert sum(closed.y) == exp_closed
    top_sql = _sql(tiny_db, "SELECT subclass_name, count(*) n FROM core.events WHERE reported_at BETWEEN ? AND ? "
                            "GROUP BY 1 ORDER BY n DESC, subclass_name LIMIT 8", [start, as_of])
    assert list(zip(top.data[0].y, top.data[0].x))[::-1] == top_sql
    # open items, overdue first (longest past its deadline on top), then nearest their deadline
    shown = [r.children[3].children for r in overdue_rows]
    assert len(overdue_rows) == min(24, exp_open) and all(t.startswith("超期") for t in shown[:min(24, exp_overdue)])


def test_boards_equal_sql(app, tiny_db):
    from cockpit.pages.screen import refresh_boards
    with signed_in(app):
        party, safety, livelihood, business = as_figures(refresh_boards(0))

    def numbers(board):
        return [c.children[0].children[0].children for c in board[0].children]

    party_members = _sql(tiny_db, "SELECT sum(party_members) FROM mart.area_population WHERE level = 'grid'")[0][0]
    volunteers = _sql(tiny_db, "SELECT count(*) FROM core.volunteers WHERE registered_date <= "
                               "(SELECT as_of::DATE FROM ops.meta)")[0][0]
    assert numbers(party)[0] == f"{party_members:,}" and numbers(party)[2] == f"{volunteers:,}"
    as_of = _sql(tiny_db, "SELECT as_of FROM ops.meta")[0][0]
    start = dt.datetime.combine(as_of.date() - dt.timedelta(days=29), dt.time())
    safety_30d = _sql(tiny_db, "SELECT count(*) FROM core.events JOIN core.event_categories USING (subclass_code) "
                               "WHERE board = '平安' AND reported_at BETWEEN ? AND ?", [start, as_of])[0][0]
    assert numbers(safety)[0] == f"{safety_30d:,}" and safety_30d > 0
    open_needs = _sql(tiny_db, "SELECT reported_date, time_limit_days FROM core.needs WHERE reported_date <= ? "
                               "AND (resolved_date IS NULL OR resolved_date > ?)", [as_of.date()] * 2)
    overdue_needs = sum(_nth_workday_after(day, limit) < as_of.date() for day, limit in open_needs)
    assert numbers(livelihood)[2] == f"{overdue_needs:,}"
    businesses = _sql(tiny_db, "SELECT count(*) FROM core.organisations WHERE org_type IN ('企业', '个体工商户')")[0][0]
    assert numbers(business)[0] == f"{businesses:,}"
    # each board's chart is that board's events only
    chart = as_figures(safety[2].figure)
    assert sum(sum(t.y) for t in chart.data) == safety_30d


def _nth_workday_after(day, n):
    """Counted one day at a time on the holiday calendar (the ETL numbers days in SQL)."""
    from etl.workcalendar import is_workday
    while n > 0:
        day += dt.timedelta(days=1)
        n -= is_workday(day)
    return day


def test_board_names_are_whitelisted(app):
    with signed_in(app):
        from cockpit.context import warehouse
        with pytest.raises(ValueError):
            q.board_daily(warehouse(), CITY, "平安' OR 1=1 --")


def test_scope_takes_ascii_digits_only():
    with pytest.raises(ValueError):
        Scope("2202０４", "x")            # full-width digits pass str.isdigit()
    assert CITY.narrow("2202０４") == CITY
