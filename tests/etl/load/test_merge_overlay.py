"""etl/load/updates.py on an incremental run's overlay (etl/storage.py): several update files in one
run (events merged twice, stale states, events refused or reopened, closures moved between
weeks, events stored in closed weeks' partitions) give the events, the history and the touched
versions that the same merges give on plain tables."""
import duckdb
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from etl import storage
from etl.load import updates
from etl.transform import models
from warehouse.generations import FILE

RUN = "20261001-000000"
EVENTS = """SELECT ('E' || range)::VARCHAR AS event_id,
    TIMESTAMP '2026-05-01' + to_hours(range * 9) AS reported_at,
    TIMESTAMP '2026-05-01' + to_hours(range * 9 + 1) AS accepted_at,
    NULL::TIMESTAMP AS dispatched_at, NULL::TIMESTAMP AS handled_at, NULL::TIMESTAMP AS verified_at,
    CASE WHEN range % 5 = 0 THEN NULL ELSE TIMESTAMP '2026-05-02' + to_hours(range * 9) END AS closed_at,
    CASE WHEN range % 13 = 0 THEN '不予立案' ELSE '处置中' END AS status, range % 7 AS v FROM range(400)"""


def _no_views(con, catalog):
    """The generation's own views are not the subject here."""


@pytest.fixture
def served(tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "STORED", {t: k for t, k in storage.STORED.items()
                                            if t in ("core.events", "core.event_history")})
    folder = tmp_path / "served"
    folder.mkdir()
    with duckdb.connect() as con:
        con.execute("ATTACH ':memory:' AS wh; CREATE SCHEMA wh.core; CREATE SCHEMA wh.ops")
        con.execute(f"CREATE TABLE wh.core.events AS {EVENTS}")
        updates.create_tables(con)
        con.execute("INSERT INTO wh.core.event_history SELECT '20260501-000000', 'x', 'superseded', * "
                    "FROM wh.core.events WHERE v = 1")
        storage.write(con, folder, _no_views)
    return folder / FILE


def _merge(con, files) -> tuple[list, list, list]:
    con.execute("CREATE TABLE memory.merged_events (event_id VARCHAR)")
    for i, (seed, hours) in enumerate(files):
        # a quarter of the events again, closures moved by `hours` (NULL: reopened; earlier: stale
        # against a later stored state), some refused, five new
        con.execute(f"""CREATE OR REPLACE TABLE memory.incoming AS SELECT * REPLACE (
                            closed_at + to_hours({hours if hours is not None else 'NULL'}) AS closed_at,
                            v + {seed} AS v,
                            CASE WHEN hash(event_id, {seed}) % 3 = 0 THEN '不予立案' ELSE status END AS status)
                        FROM wh.core.events WHERE hash(event_id, {seed}) % 4 = 0""")
        con.execute(f"INSERT INTO memory.incoming SELECT * REPLACE ('N{seed}_' || event_id AS event_id) "
                    "FROM memory.incoming ORDER BY event_id LIMIT 5")
        updates.merge_events(con, "memory.incoming", RUN, f"updates/f{i}.csv", str(i))
    models.touched_versions(con, RUN)
    return [con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("wh.core.events", "wh.core.event_history", "memory.touched_versions")]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.tuples(st.integers(1, 4), st.one_of(st.none(), st.integers(-24 * 60, 24 * 120))),
                      min_size=1, max_size=4))
def test_merges_on_an_overlay_equal_the_same_merges_on_plain_tables(served, files):
    with duckdb.connect() as con:
        storage.open_served(con, served, _no_views)
        assert storage.overlaid(con, "core.events")
        on_overlay = _merge(con, files)
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{served}' AS s (READ_ONLY)")
        con.execute("ATTACH ':memory:' AS wh; CREATE SCHEMA wh.core; CREATE SCHEMA wh.ops")
        for table in ("core.events", "core.event_history", "ops.applied_updates"):
            con.execute(f"CREATE TABLE wh.{table} AS SELECT * FROM s.{table}")
        con.execute("DETACH s")
        on_tables = _merge(con, files)
    assert on_overlay == on_tables
    assert len(on_tables[2]) > 0
