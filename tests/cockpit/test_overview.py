"""The first screen's callback, without a browser, against SQL of its own on the same warehouse."""
import datetime as dt

import duckdb
import pandas as pd
import pytest

from cockpit import create_app
from cockpit.config import Settings
from cockpit.queries import overview as q
from cockpit.scope import CITY, Scope
from etl import generations


@pytest.fixture(scope="module")
def app(tiny_warehouse):
    return create_app(Settings(warehouse=tiny_warehouse))


def _expected(tiny_db, prefix, days=30):
    """The counters computed another way: pandas on whole tables."""
    con = duckdb.connect(str(tiny_db), read_only=True)
    as_of = con.execute("SELECT as_of FROM meta").fetchone()[0]
    ev = con.execute("SELECT * FROM events").df()
    ev = ev[ev["grid_code"].str.startswith(prefix)]
    start = pd.Timestamp(as_of.date() - dt.timedelta(days=days - 1))
    due = ev["accepted_at"].notna() & (ev["deadline"] >= start) & (ev["deadline"] <= as_of)
    closed = due & ev["closed_at"].notna()
    on_time = closed & (ev["handled_at"] <= ev["deadline"])
    persons = con.execute("SELECT grid_code FROM persons").df()["grid_code"]
    return {
        "residents": int(persons.str.startswith(prefix).sum()),
        "events": int(((ev["reported_at"] >= start) & (ev["reported_at"] <= as_of)).sum()),
        "due": int(due.sum()), "closed": int(closed.sum()), "on_time": int(on_time.sum()),
    }


def test_callback_counters_equal_sql(app, tiny_db, tiny_warehouse):
    from cockpit.pages.overview import refresh_overview   # pages register once the app exists
    exp = _expected(tiny_db, CITY.code)
    with app.server.test_request_context("/"):
        residents, households, grids, events, rate, detail, fig, stamp = refresh_overview(0)
    assert residents == f"{exp['residents']:,}"
    assert events == f"{exp['events']:,}"
    assert rate == f"{100 * exp['closed'] / exp['due']:.2f}"
    assert f"应结案 {exp['due']:,}" in detail and f"按期 {exp['on_time']:,}" in detail
    assert 80 < float(rate) < 100
    assert stamp == f"数据版本 {generations.current(tiny_warehouse).id}"
    trace = fig.data[0]
    con = duckdb.connect(str(tiny_db), read_only=True)
    n_comm = con.execute("SELECT count(*) FROM areas WHERE level = 'community'").fetchone()[0]
    assert len(trace.locations) == n_comm == len(trace.geojson["features"])


def test_scope_limits_every_number(app, tiny_db):
    con = duckdb.connect(str(tiny_db), read_only=True)
    street = con.execute("SELECT code FROM areas WHERE level = 'street' ORDER BY code LIMIT 1").fetchone()[0]
    scope = Scope(street, "某街道")
    exp = _expected(tiny_db, street)
    with app.server.test_request_context("/"):
        from cockpit.context import warehouse
        k = q.kpis(warehouse(), scope)
        metrics = q.community_metrics(warehouse(), scope)
    assert k["residents"] == exp["residents"] < _expected(tiny_db, CITY.code)["residents"]
    assert k["events"] == exp["events"] and k["due"] == exp["due"]
    assert metrics["code"].str.startswith(street).all() and len(metrics) > 0
    assert metrics["events"].sum() == exp["events"]


def test_scope_rejects_non_codes():
    with pytest.raises(ValueError):
        Scope("2202' OR 1=1 --", "x")
