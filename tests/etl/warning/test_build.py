"""The build: reasons without a ratio against an expectation printed as zero; an incident's days."""
from __future__ import annotations


def test_a_reason_gives_no_ratio_against_an_expectation_it_prints_as_zero():
    from etl.warning.build import _ratio
    assert _ratio(13, 0.0009) == _ratio(2, 0) == "预期近零"          # was 14444.4 倍 on the screen
    assert _ratio(2, 0.05) == "40.0 倍" and _ratio(6, 2.0) == "3.0 倍"


# --- an incident's days: open and overdue at each day's end, as running sums ---------------------

import datetime as dt  # noqa: E402

import duckdb  # noqa: E402
from hypothesis import example, given, settings, strategies as st  # noqa: E402

# the plain definition the build replaced (every event × every day of its incident), the oracle
_DAYS_BEFORE = """
SELECT t.*, coalesce(o.closed, 0) AS closed, coalesce(o.open_end, 0) AS open_end,
       coalesce(o.overdue_end, 0) AS overdue_end
FROM wh.warning.incident_days t LEFT JOIN (
    SELECT t.incident_id, t.day,
           count(*) FILTER (e.closed_at::DATE = t.day)::INTEGER AS closed,
           count(*) FILTER (e.reported_at < t.day + 1 AND (e.closed_at IS NULL OR e.closed_at >= t.day + 1)
                            AND e.status <> '不予立案')::INTEGER AS open_end,
           count(*) FILTER (e.reported_at < t.day + 1 AND e.deadline < t.day + 1
                            AND (e.handled_at IS NULL OR e.handled_at >= t.day + 1)
                            AND e.status <> '不予立案')::INTEGER AS overdue_end
    FROM wh.warning.incident_days t JOIN wh.warning.incident_events ie USING (incident_id)
    JOIN wh.core.events e USING (event_id)
    GROUP BY ALL) o USING (incident_id, day)
ORDER BY incident_id, day"""

_START = dt.datetime(2026, 10, 1)
_time = st.integers(0, 30 * 24 - 1).map(lambda h: _START + dt.timedelta(hours=h))
_moment = st.one_of(st.none(), _time)
# reported (an incident's events are reported after $since), closed, deadline, handled, status,
# the incidents (of 3) it belongs to
_event = st.tuples(_time, _moment, _moment, _moment, st.sampled_from(["已结案", "处置中", "不予立案", None]),
                   st.sets(st.integers(0, 2), min_size=1))


def _insert(con, table: str, rows: list[tuple]) -> None:
    if rows:
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)


@settings(max_examples=100, deadline=None)
@given(events=st.lists(_event, min_size=1, max_size=20),
       spans=st.lists(st.tuples(st.integers(0, 10), st.integers(5, 25)), min_size=3, max_size=3))
@example(events=[(_START, None, None, None, None, {0})], spans=[(0, 5)] * 3)           # no status
@example(events=[(_START + dt.timedelta(days=3), _START, None, None, "已结案", {0})], spans=[(0, 5)] * 3)
def test_an_incidents_days_count_what_each_day_closed_and_left_open_or_overdue(events, spans):
    """Whatever the times (missing ones, a closure before its report, a deadline before either),
    the running sums give each day what counting every event on every day gives."""
    from etl.warning.build import _DURING_SQL
    (statement,) = [s for s in _DURING_SQL.split("\n--\n") if "TABLE wh.warning.incident_days" in s]
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS wh")
    for schema in ("core", "warning"):
        con.execute(f"CREATE SCHEMA wh.{schema}")
    con.execute("CREATE TABLE wh.core.events (event_id VARCHAR, reported_at TIMESTAMP, closed_at TIMESTAMP, "
                "deadline TIMESTAMP, handled_at TIMESTAMP, status VARCHAR)")
    _insert(con, "wh.core.events", [(f"E{i}", *e[:5]) for i, e in enumerate(events)])
    con.execute("CREATE TABLE wh.warning.incident_events (incident_id VARCHAR, event_id VARCHAR)")
    _insert(con, "wh.warning.incident_events", [(f"I{k}", f"E{i}") for i, e in enumerate(events) for k in sorted(e[5])])
    con.execute("CREATE TABLE wh.warning.incident_days (incident_id VARCHAR, day DATE, reported INTEGER)")
    _insert(con, "wh.warning.incident_days", [(f"I{k}", _START.date() + dt.timedelta(days=first + d), 0)
                                              for k, (first, n) in enumerate(spans) for d in range(n)])
    expected = con.execute(_DAYS_BEFORE).fetchall()
    con.execute(statement, {"since": _START})
    got = con.execute("SELECT * FROM wh.warning.incident_days ORDER BY incident_id, day").fetchall()
    assert got == expected
