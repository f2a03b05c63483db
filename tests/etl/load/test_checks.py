"""The row checks (etl/load/checks.py) against a row-by-row oracle: which lines fail which rule
for any mix of keys (repeated, empty) and workflow times (canonical, impossible, written another
way, in the future, out of order). The scan casts each time once and ranks only repeated keys;
whatever the shortcut, every failure is found, on its own line, once."""
from __future__ import annotations

import datetime as dt
import re

import duckdb
from hypothesis import HealthCheck, given, settings, strategies as st

from etl.contract import load_contract
from etl.load import checks, values
from etl.load.points import TABLE as POINT_PROBLEMS

EVENTS = next(s for s in load_contract() if s.table == "events")
STAGES = ("reported_at",) + checks.LIFECYCLE
TIMES = st.sampled_from([
    "", "2026-01-02 08:00:00", "2026-01-02 09:30:00", "2026-01-03 08:00:00", "2026-01-02 08:00:00.5",
    "2026-02-30 08:00:00",        # the shape of a time, but no day
    "2026/1/2 8:00",              # another form (the repairs' business): fails its type, yet casts
    "2026年1月2日 8时",            # another form that does not cast
    "2999-01-01 00:00:00",        # after the build
])
ROWS = st.lists(st.fixed_dictionaries({"event_id": st.sampled_from(["", "A", "B", "C"]),
                                       **{s: TIMES for s in STAGES}}), min_size=1, max_size=12)


# what DuckDB's cast reads besides the canonical form: the order and future rules compare it
CASTS = {"2026/1/2 8:00": dt.datetime(2026, 1, 2, 8)}


def _canonical(text: str) -> dt.datetime | None:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?", text):
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def oracle(rows: list[dict]) -> set[tuple[int, str, str]]:
    out, seen = set(), set()
    now = dt.datetime.now()
    for line, row in enumerate(rows, start=2):
        if row["event_id"] == "":
            out.add((line, "event_id", "required"))
        elif row["event_id"] in seen:
            out.add((line, "event_id", "duplicate_key"))
        seen.add(row["event_id"])
        times = {s: _canonical(row[s]) or CASTS.get(row[s]) for s in STAGES}
        for s in STAGES:
            if row[s] == "" and s == "reported_at":
                out.add((line, s, "required"))
            if row[s] != "" and _canonical(row[s]) is None:
                out.add((line, s, "type_timestamp"))
            if times[s] is not None and times[s] > now:
                out.add((line, s, "in_future"))
        for k, later in enumerate(checks.LIFECYCLE, start=1):
            before = [times[s] for s in STAGES[:k] if times[s] is not None]
            if times[later] is not None and before and times[later] < max(before):
                out.add((line, later, "stage_order"))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS)
def test_every_failure_found_on_its_line_once(rows):
    con = duckdb.connect()
    values.register(con)
    con.execute("ATTACH ':memory:' AS wh")
    con.execute("CREATE SCHEMA wh.core")
    example = {c.name: c.example for c in EVENTS.columns}
    con.execute("CREATE TABLE wh.core.areas AS SELECT ? AS code, 'grid' AS level", [example["grid_code"]])
    con.execute("CREATE TABLE wh.core.event_categories AS SELECT ? AS subclass_code", [example["subclass_code"]])
    con.execute(f"CREATE TABLE {POINT_PROBLEMS} (line BIGINT, rule VARCHAR)")
    names = [c.name for c in EVENTS.columns]
    con.execute("CREATE TABLE raw (line BIGINT, " + ", ".join(f"{n} VARCHAR" for n in names) + ")")
    con.executemany(f"INSERT INTO raw VALUES (?{', ?' * len(names)})",
                    [[line, *({**example, **row}[n] for n in names)] for line, row in enumerate(rows, start=2)])
    suspects, detail = checks.failures_sql(EVENTS, "raw")
    con.execute(f"CREATE TEMP TABLE suspects AS {suspects}")
    found = con.execute(f"SELECT line, column_name, rule FROM ({detail})").fetchall()
    assert len(found) == len(set(found))
    assert set(found) == oracle(rows)
