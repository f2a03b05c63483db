"""etl/storage.py: an incremental run's overlay, written out, is the table the same writes give on a
plain copy; the partitions it did not touch are the served generation's files (hard links), the
ones it touched are new files, and the served generation's files are never written."""
import datetime as dt
import os

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from etl import storage
from warehouse.generations import FILE

EVENTS = storage.STORED["core.events"]           # the real key, on a table with its columns only


def _no_views(con, catalog):
    """The generation's own views are not the subject here."""


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A generation holding one stored table, core.events: 400 events over six months, a fifth
    open, some rejected."""
    monkeypatch.setattr(storage, "STORED", {"core.events": EVENTS})
    folder = tmp_path / "served"
    folder.mkdir()
    with duckdb.connect() as con:
        con.execute("ATTACH ':memory:' AS wh")
        con.execute("CREATE SCHEMA wh.core")
        con.execute("""CREATE TABLE wh.core.events AS SELECT range AS event_id,
                           TIMESTAMP '2026-05-01' + to_hours(range * 9) AS reported_at,
                           CASE WHEN range % 5 = 0 THEN NULL ELSE TIMESTAMP '2026-05-02' + to_hours(range * 9) END
                               AS closed_at,
                           CASE WHEN range % 13 = 0 THEN '不予立案' ELSE '处置中' END AS status,
                           range % 7 AS v
                       FROM range(400)""")
        storage.write(con, folder, _no_views)
    return folder / FILE


def _files(folder):
    return {p.relative_to(folder): p.stat().st_ino for p in folder.rglob("*.parquet")}


# one write: delete the events whose id is r modulo k, or insert copies of them with a new id and
# a closure moved by some days (NULL: open again), as an update's merge does
writes = st.lists(st.tuples(st.sampled_from(["delete", "insert"]), st.integers(2, 60), st.integers(0, 59),
                            st.one_of(st.none(), st.integers(-200, 200))), min_size=1, max_size=5)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=writes)
def test_an_overlay_written_out_equals_the_same_writes_on_a_copy(served, tmp_path_factory, writes):
    target = tmp_path_factory.mktemp("next")
    before = {p: (ino, (served.parent / p).read_bytes()) for p, ino in _files(served.parent).items()}
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{served}' AS s (READ_ONLY)")
        con.execute("CREATE TABLE copy AS SELECT * FROM s.core.events")
        con.execute("DETACH s")
        storage.open_served(con, served, _no_views)
        for n, (kind, k, r, days) in enumerate(writes):
            where = f"event_id % {k} = {r % k}"
            if kind == "delete":
                storage.delete(con, "core.events", where)
                con.execute(f"DELETE FROM copy WHERE {where}")
            else:
                moved = (f"SELECT event_id + {1000 * (n + 1)} AS event_id, reported_at, "
                         f"{'NULL' if days is None else f'closed_at + to_days({days})'} AS closed_at, status, v + 1 AS v "
                         f"FROM {{}} WHERE {where}")
                con.execute(f"INSERT INTO copy {moved.format('copy')}")
                storage.insert(con, "core.events", moved.format("wh.core.events"))
        opened = {p for (p,) in con.execute("SELECT part FROM memory.stored_parts WHERE opened").fetchall()}
        storage.write(con, target, _no_views)
        con.execute(f"ATTACH '{target / FILE}' AS t (READ_ONLY)")
        differ = con.execute("SELECT count(*) FROM ((FROM copy EXCEPT ALL FROM t.core.events) UNION ALL "
                             "(FROM t.core.events EXCEPT ALL FROM copy))").fetchone()[0]
        keys = {k for (k,) in con.execute(f"SELECT DISTINCT {storage.key('core.events')} FROM copy").fetchall()}
    assert differ == 0
    # the served files are as they were; the untouched partitions are the same files, the touched new
    assert {p: (ino, (served.parent / p).read_bytes()) for p, ino in _files(served.parent).items()} == before
    new = _files(target)
    for path, ino in new.items():
        part = path.parent.name.removeprefix("part=")
        if part != storage.SCHEMA_PART:
            linked = path in before and ino == before[path][0]
            assert linked == (path in before and part not in opened), path
    assert {p.parent.name.removeprefix("part=") for p in new} - {storage.SCHEMA_PART} == keys


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(k=st.integers(2, 400), r=st.integers(0, 399), opened_first=st.sets(st.integers(0, 399), max_size=20))
def test_a_narrowed_view_holds_every_matching_row_and_only_their_partitions(served, k, r, opened_first):
    """Within `narrowed`, the view shows the partitions holding a match and the open table, so a
    query of the matching rows answers as on the whole table; after it, the whole table again.
    `open_partitions` moves whole partitions into `opened`, which then holds their rows."""
    where = f"event_id % {k} = {r % k}"
    with duckdb.connect() as con:
        storage.open_served(con, served, _no_views)
        key = storage.key("core.events")
        whole = con.execute("SELECT * FROM wh.core.events ORDER BY event_id").fetchall()
        keys = {p for (p,) in con.execute(f"SELECT DISTINCT {key} FROM wh.core.events WHERE event_id IN "
                                          f"(SELECT unnest($ids))", {"ids": sorted(opened_first)}).fetchall()}
        in_keys = con.execute(f"SELECT * FROM wh.core.events WHERE list_contains($keys, {key}) ORDER BY event_id",
                              {"keys": sorted(keys)}).fetchall()
        relation = storage.open_partitions(con, "core.events", keys)
        assert con.execute(f"SELECT * FROM {relation} ORDER BY event_id").fetchall() == in_keys
        matching = con.execute(f"SELECT * FROM wh.core.events WHERE {where} ORDER BY event_id").fetchall()
        with storage.narrowed(con, "core.events", where):
            assert con.execute(f"SELECT * FROM wh.core.events WHERE {where} ORDER BY event_id").fetchall() == matching
            with pytest.raises(RuntimeError, match="narrowed"):      # it would miss the hidden partitions
                storage.delete(con, "core.events", where)
            shown = {p for (p,) in con.execute(f"SELECT DISTINCT {key} FROM wh.core.events").fetchall()}
            assert shown == {p for (p,) in con.execute(
                f"SELECT DISTINCT {key} FROM wh.core.events WHERE {where}").fetchall()} | keys
        assert con.execute("SELECT * FROM wh.core.events ORDER BY event_id").fetchall() == whole


def test_the_keys_keep_a_closed_weeks_events_apart_from_the_open(served):
    """A closure moves an event from `open` to its closing week: older weeks are not rewritten."""
    with duckdb.connect() as con:
        storage.open_served(con, served, _no_views)
        storage.delete(con, "core.events", "event_id = 5")           # open (5 % 5 = 0)
        storage.insert(con, "core.events", "SELECT 5, TIMESTAMP '2026-05-02 21:00', ?, '处置中', 0",
                       [dt.datetime(2026, 9, 25, 12)])
        opened = sorted(p for (p,) in con.execute("SELECT part FROM memory.stored_parts WHERE opened").fetchall())
    assert opened == ["2026-09-21", "open"]        # the Monday of 2026-09-25's week


@pytest.mark.parametrize("recorded", ["another key", "no record"])
def test_a_table_written_with_another_key_is_rewritten_in_full(tmp_path, monkeypatch, recorded):
    """A generation of a release that partitioned by month (or recorded no keys): its table is
    rewritten in full by the next run, by week, every row once."""
    monthly = "CASE WHEN closed_at IS NULL THEN 'open' ELSE strftime(closed_at, '%Y-%m') END"
    monkeypatch.setattr(storage, "STORED", {"core.events": monthly})
    (tmp_path / "old").mkdir()
    with duckdb.connect() as con:
        con.execute("ATTACH ':memory:' AS wh; CREATE SCHEMA wh.core")
        con.execute("CREATE TABLE wh.core.events AS SELECT range AS event_id, CASE WHEN range % 4 > 0 THEN "
                    "TIMESTAMP '2026-05-02' + to_hours(range * 9) END AS closed_at, range % 7 AS v FROM range(400)")
        storage.write(con, tmp_path / "old", _no_views)
    if recorded == "no record":
        with duckdb.connect(str(tmp_path / "old" / FILE)) as con:
            con.execute("DROP TABLE ops.stored_keys")
    weekly = f"CASE WHEN closed_at IS NULL THEN 'open' ELSE {storage._week('closed_at')} END"
    monkeypatch.setattr(storage, "STORED", {"core.events": weekly})
    (tmp_path / "new").mkdir()
    with duckdb.connect() as con:
        storage.open_served(con, tmp_path / "old" / FILE, _no_views)
        assert not storage.overlaid(con, "core.events")
        storage.delete(con, "core.events", "event_id = 8")
        storage.write(con, tmp_path / "new", _no_views)
    with duckdb.connect(str(tmp_path / "new" / FILE), read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT event_id) FROM core.events").fetchone() == (399, 399)
        assert con.execute("SELECT * FROM ops.stored_keys").fetchall() == [("core.events", weekly)]
    parts = {p.name.removeprefix("part=") for p in (tmp_path / "new" / "parts" / "core.events").iterdir()}
    assert "2026-05" not in parts and "2026-05-04" in parts and "open" in parts


def test_a_table_rebuilt_in_full_is_written_in_full(served, tmp_path):
    with duckdb.connect() as con:
        storage.open_served(con, served, _no_views)
        storage.release(con, "core.events")
        con.execute("CREATE OR REPLACE TABLE wh.core.events AS SELECT * FROM wh.core.events WHERE v > 0")
        (tmp_path / "next").mkdir()
        storage.write(con, tmp_path / "next", _no_views)
        (n,) = con.execute("SELECT count(*) FROM wh.core.events").fetchone()
    old = {p.stat().st_ino for p in served.parent.rglob("*.parquet")}
    assert not old & {p.stat().st_ino for p in (tmp_path / "next").rglob("*.parquet")}
    with duckdb.connect(str(tmp_path / "next" / FILE), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM core.events").fetchone()[0] == n


def test_a_restored_generation_reads_its_own_partitions(served, tmp_path):
    moved = tmp_path / "elsewhere"
    os.rename(served.parent, moved)
    with pytest.raises(duckdb.Error):
        duckdb.connect(str(moved / FILE), read_only=True).execute("SELECT count(*) FROM core.events").fetchone()
    storage.relocate(moved / FILE)
    with duckdb.connect(str(moved / FILE), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM core.events").fetchone()[0] == 400


def test_a_missing_partition_file_is_an_error_not_fewer_rows(served):
    """The views list their files: one gone (a prune killed midway, a hand's `rm`) fails the query."""
    (victim,) = list(served.parent.glob("parts/core.events/part=open/*.parquet"))
    victim.unlink()
    with duckdb.connect(str(served), read_only=True) as con, pytest.raises(duckdb.IOException):
        con.execute("SELECT count(*) FROM core.events").fetchone()


def test_glob_characters_in_the_warehouse_path_are_plain_characters(tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "STORED", {"core.events": EVENTS})
    folder = tmp_path / "wh [1]*"          # ("?" DuckDB itself refuses in a file name)
    folder.mkdir()
    with duckdb.connect() as con:
        con.execute("ATTACH ':memory:' AS wh; CREATE SCHEMA wh.core")
        con.execute("CREATE TABLE wh.core.events AS SELECT 1 AS event_id, NULL::TIMESTAMP AS closed_at, "
                    "'x' AS status, NULL::TIMESTAMP AS reported_at")
        storage.write(con, folder, _no_views)
    with duckdb.connect(str(folder / FILE), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM core.events").fetchone()[0] == 1


def test_many_wide_partitions_are_written_within_the_memory_limit(tmp_path, monkeypatch, caplog):
    """60 months of a wide table at once, on two threads, need more than 40 MB: the write runs out
    of memory, and is written again in groups on one thread (its first files removed). Every row
    lands in its month's folder, once."""
    caplog.set_level("INFO", logger="etl.storage")
    monthly = "strftime(day, '%Y-%m')"
    monkeypatch.setattr(storage, "STORED", {"mart.events_daily": monthly})
    with duckdb.connect(config={"temp_directory": str(tmp_path / "spill")}) as con:
        con.execute("SET threads = 2")
        con.execute("ATTACH ':memory:' AS wh; CREATE SCHEMA wh.mart")
        wide = ", ".join(f"md5((range * {k})::VARCHAR) AS c{k}" for k in range(8))
        con.execute(f"CREATE TABLE wh.mart.events_daily AS SELECT DATE '2021-01-01' + to_days((range % 60 * 31)::INTEGER) AS day, "
                    f"{wide} FROM range(400000)")
        con.execute("SET memory_limit = '40MB'")
        assert storage.write_plan(con, "wh.mart.events_daily", 60) == (1, 11)     # six scans, one thread
        storage.write(con, tmp_path, _no_views)
    assert any("分组写出" in m for m in caplog.messages)
    with duckdb.connect(str(tmp_path / FILE), read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT day) FROM mart.events_daily").fetchone() == (400000, 60)
        assert not con.execute(f"""SELECT filename FROM read_parquet('{tmp_path}/parts/mart.events_daily/*/*.parquet',
                                       filename = true, hive_partitioning = false)
                                   WHERE filename NOT LIKE '%part=' || {monthly} || '/%' LIMIT 1""").fetchall()


def test_the_small_file_is_written_in_small_blocks(served):
    """Every run writes the small file again: in DuckDB's 256 KiB blocks the demo's fifty small
    tables took 3.9 MB, in 16 KiB ones 0.9 MB."""
    with duckdb.connect(str(served), read_only=True) as con:
        (block,) = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()
    assert block == storage.SMALL_BLOCK < 256 * 1024


def test_a_write_plan_takes_threads_before_it_takes_scans():
    """All partitions in one scan on as many threads as fit; fewer threads before more scans; an
    unlimited memory (DuckDB shows it in PiB) on every thread."""
    with duckdb.connect() as con:
        con.execute("SET threads = 4")
        con.execute(f"CREATE TABLE t AS SELECT {', '.join(f'{k} AS c{k}' for k in range(9))}")   # 10 with the key
        con.execute("SET memory_limit = '100MB'")         # 95.3 MiB: 28 slots of 10 columns' blocks
        assert storage.write_plan(con, "t", 7) == (4, 7)
        assert storage.write_plan(con, "t", 14) == (2, 14)
        assert storage.write_plan(con, "t", 28) == (1, 28)
        assert storage.write_plan(con, "t", 60) == (1, 28)
        assert storage.write_plan(con, "t", 0) == (4, 1)
        con.execute("SET memory_limit = '-1'")
        assert storage.write_plan(con, "t", 500) == (4, 500)
