"""The period window and the event filter (cockpit/queries/filters.py, sql/_event_filter.sql),
tested in one place: the window's arithmetic in Python, its bounds in DuckDB on dates and
instants alike, and the event filter's WHERE against the same filter computed in pandas."""
import datetime as dt
import re

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cockpit.db import Warehouse
from cockpit.queries import SQL_DIR, fragment, run, sql
from cockpit.queries.filters import MAX_DAYS_BACK, MICROSECOND, EventFilter, Window, chosen_days, last_days, parse_day
from cockpit.scope import CITY, Scope

instants = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 12, 31))
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31))


@given(as_of=instants, n=st.integers(1, 4000))
def test_last_n_days_touch_exactly_n_dates_and_end_at_as_of(as_of, n):
    w = last_days(as_of, n)
    assert w.days == n and w.last_day == as_of.date()
    assert len(pd.date_range(w.start, w.stop - MICROSECOND, freq="D").normalize().unique()) == n
    assert w.start == dt.datetime.combine(w.first_day, dt.time())             # from midnight
    assert w.start <= as_of < w.stop and not as_of + MICROSECOND < w.stop     # as_of in, nothing after


@given(as_of=instants)
def test_all_time_and_no_data(as_of):
    assert last_days(as_of, None).start == dt.datetime.min
    assert last_days(as_of, None).stop == last_days(as_of, 7).stop
    assert last_days(None, 30) == last_days(pd.NaT, 30) == Window(None, None)
    assert Window(None, None).params() == {"start": None, "stop": None}


@given(day=days, n=st.integers(1, 400))
def test_a_date_as_of_gives_the_same_days_as_its_instants(day, n):
    """Presets are taken from the as-of day: the same dates as from any instant of that day."""
    w = last_days(day, n)
    late = last_days(dt.datetime.combine(day, dt.time(23, 59, 59, 999999)), n)
    assert (w.first_day, w.last_day, w.days) == (late.first_day, late.last_day, n)


@given(first=days, last=days)
def test_whole_days(first, last):
    first, last = sorted((first, last))
    w = Window.of_days(first, last)
    assert (w.first_day, w.last_day, w.days) == (first, last, (last - first).days + 1)
    assert w.stop == dt.datetime.combine(last + dt.timedelta(days=1), dt.time())


@given(day=days, suffix=st.sampled_from(["", "T10:00:00", " 23:59", "T00:00:00+08:00"]))
def test_parse_day_reads_iso_dates_with_or_without_a_time(day, suffix):
    assert parse_day(day.isoformat() + suffix) == day


@given(st.one_of(st.none(), st.integers(), st.text(max_size=30), st.lists(st.text(max_size=3))))
def test_parse_day_refuses_anything_else(value):
    parsed = parse_day(value)
    assert parsed is None or (isinstance(value, str) and parsed.isoformat() == value[:10])


browser_dates = st.one_of(st.none(), st.text(max_size=12), days.map(dt.date.isoformat),
                          st.dates().map(dt.date.isoformat))


@given(start=browser_dates, end=browser_dates, as_of_day=days, default=st.integers(1, 400))
def test_chosen_days_stay_within_the_data_whatever_is_sent(start, end, as_of_day, default):
    w = chosen_days(start, end, as_of_day, default)
    floor = as_of_day - dt.timedelta(days=MAX_DAYS_BACK)
    assert floor <= w.first_day <= w.last_day <= as_of_day
    if parse_day(start) is None and parse_day(end) is None:
        assert (w.first_day, w.last_day) == (last_days(as_of_day, default).first_day, as_of_day)
    if (s := parse_day(start)) and (e := parse_day(end)) and floor <= s <= e <= as_of_day:
        assert (w.first_day, w.last_day) == (s, e)          # a sensible choice is kept as it is


@settings(max_examples=60)
@given(as_of=instants, n=st.one_of(st.none(), st.integers(1, 60)),
       values=st.lists(instants, min_size=1, max_size=20))
def test_duckdb_reads_the_bounds_alike_for_instants_and_dates(as_of, n, values):
    """`x >= $start AND x < $stop` keeps an instant from the first day's midnight up to and
    including as_of, and a date (a DATE column) from the first day up to the as-of day."""
    w = last_days(as_of, n)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (ts TIMESTAMP, day DATE)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(v, v.date()) for v in values])
    got = con.execute("SELECT count(*) FILTER (ts >= $start AND ts < $stop), "
                      "count(*) FILTER (day >= $start AND day < $stop) FROM t", w.params()).fetchone()
    first = as_of.date() - dt.timedelta(days=n - 1) if n else dt.date.min
    assert got == (sum(first <= v.date() and v <= as_of for v in values),
                   sum(first <= v.date() <= as_of.date() for v in values))
    if n:       # sql/_window_days.sql: every date the window touches, once
        dates = con.execute(f"SELECT day FROM ({fragment('window_days')}) ORDER BY day", w.params()).fetchall()
        assert [d for (d,) in dates] == [first + dt.timedelta(days=i) for i in range(n)]


def test_no_query_computes_the_window_itself():
    """The window is bound ($start, $stop) from filters.last_days, not derived from meta in SQL."""
    own = [p.name for p in SQL_DIR.glob("*.sql")
           if re.search(r"to_days\(CAST\(\$days|as_of::DATE\s*-", p.read_text(encoding="utf-8"))]
    assert not own, own


def test_fragments_are_included_and_leave_no_directive():
    users = [p.stem for p in SQL_DIR.glob("[!_]*.sql") if "-- include:" in p.read_text(encoding="utf-8")]
    assert len(users) >= 6
    fragment = [line for line in (SQL_DIR / "_event_filter.sql").read_text(encoding="utf-8").splitlines()
                if not line.startswith("--")]
    for name in users:
        text = sql(name)
        assert "-- include:" not in text
        if "event_filter" in (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8"):
            assert all(line.strip() in text for line in fragment)


# --- the event filter on the tiny warehouse ------------------------------------------------------

@pytest.fixture(scope="module")
def snap(tiny_warehouse):
    with Warehouse(tiny_warehouse).snapshot() as s:
        yield s


@pytest.fixture(scope="module")
def events(snap):
    return snap.query("SELECT grid_code, reported_at, class_code, subclass_code, source, status, "
                      "department FROM core.events")


def expected(events: pd.DataFrame, scope: Scope, f: EventFilter) -> int:
    """The filter's definition, in pandas: what sql/_event_filter.sql must count."""
    keep = events["grid_code"].str.startswith(scope.code)
    keep &= (events["reported_at"] >= f.window.start) & (events["reported_at"] < f.window.stop)
    for column in ("class_code", "subclass_code", "source", "status", "department"):
        if (value := getattr(f, column)) is not None:
            keep &= events[column] == value
    return int(keep.sum())


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_event_filter_counts_what_its_definition_says(snap, events, data):
    codes = sorted({c[:n] for c in events["grid_code"].dropna().unique()[:50] for n in (6, 9, 12, 15)})
    scope = Scope(data.draw(st.sampled_from(["2202", *codes])), "")
    t0, t1 = events["reported_at"].min().date(), events["reported_at"].max().date()
    first, last = sorted(data.draw(st.dates(t0 - dt.timedelta(days=3), t1 + dt.timedelta(days=3)))
                         for _ in range(2))
    pick = {c: data.draw(st.one_of(st.none(), st.sampled_from(sorted(events[c].dropna().unique()))))
            for c in ("class_code", "subclass_code", "source", "status", "department")}
    f = EventFilter(Window.of_days(first, last), **pick)
    for name in ("explorer__daily", "heatmap__daily"):
        counted = int(run(snap, name, scope, **f.params())["events"].sum())
        assert counted == expected(events, scope, f), name
    assert int(run(snap, "heatmap__total", scope, **f.params())["events"].iloc[0]) == expected(events, scope, f)


def test_a_none_filter_is_no_filter(snap, events):
    w = Window.of_days(events["reported_at"].min().date(), events["reported_at"].max().date())
    unfiltered = snap.query("SELECT count(*) AS n FROM core.events WHERE reported_at >= $start AND reported_at < $stop",
                            w.params())["n"].iloc[0]
    assert run(snap, "heatmap__total", CITY, **EventFilter(w).params())["events"].iloc[0] == unfiltered == len(events)


def test_the_filter_binds_the_scope_and_a_department_account_its_department(snap, events):
    """The fragment carries the jurisdiction: a narrower scope counts less, and a department's
    scope counts its own events only, whatever department a caller asks for."""
    w = Window.of_days(dt.date(2000, 1, 1), dt.date(2040, 1, 1))
    dept = events["department"].value_counts().index[0]
    other = events["department"].value_counts().index[1]
    as_dept = Scope(CITY.code, dept, department=dept)
    got = run(snap, "explorer__daily", as_dept, **EventFilter(w, department=other).params())
    assert int(got["events"].sum()) == int((events["department"] == dept).sum()) > 0
    grid = events["grid_code"].iloc[0]
    assert (int(run(snap, "heatmap__total", Scope(grid, ""), **EventFilter(w).params())["events"].iloc[0])
            == int((events["grid_code"] == grid).sum()) < len(events))
