"""The large tables of a generation as Parquet partitions, shared with the generation before
(the layout: warehouse/generations.py).

Each table of STORED is written as one Parquet folder per value of its partition key, and the
generation's small DuckDB file gets a view of the same name over them (`core.events` reads as
before). The keys put what an update changes together, away from what it does not: an event by
the week it closed (its Monday), or 'open' while it is not; its service-level row 'open' while it
moves with the as-of (a refused case's by the week it was reported); a day's row by its week; the
register, which only a full build changes, whole. A day's update then changes the open partitions
and the current week's, and the rest of the tables are hard links to the previous generation's
files. A generation records the keys it
was written with (ops.stored_keys); a table the served generation wrote with other keys is
rewritten in full by the next run.

An incremental run works on an *overlay* (`open_served`): the served generation's small tables
copied into memory as `wh`, and each stored table a view over the served partitions' files plus a
table of the partitions it opened (`<table>__open`). Every write to a stored table goes through
`delete`, `insert` or `release`, which open the partitions the write touches first (copy their
rows into the open table and drop their files from the view), so the view always shows the whole
table; or it deletes from `opened` rows whose partitions `open_partitions` opened. Within
`narrowed` (a read of a few rows) the view shows part of the table, and a write to it is
refused. `write` then writes the opened partitions anew and links the others. A full build writes
every partition; so does an overlay's table that was `release`d (rebuilt in full)."""
from __future__ import annotations

import logging
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import duckdb

from etl.publish.generations import fsync
from etl.run import literal
from warehouse.generations import FILE, PARTS, SCHEMAS

log = logging.getLogger(__name__)
SMALL_BLOCK = 16 * 1024                 # the small file's (the smallest DuckDB takes)


def _week(column: str) -> str:
    """The Monday of a date's week: a day's update rewrites its week's partitions, at most 7 days
    (a month's were up to 31: at a month's end, 19 + 9 MB of the city's events and service levels)."""
    return f"strftime(date_trunc('week', {column}), '%Y-%m-%d')"


# table → the SQL of its partition key, over its own columns (never NULL: coalesced to 'none').
# A generation records the keys it was written with (ops.stored_keys): an overlay's table written
# with other keys is rewritten in full (`open_served`)
STORED = {
    "core.events": f"CASE WHEN closed_at IS NOT NULL THEN {_week('closed_at')} "
                   f"WHEN status = '不予立案' THEN {_week('reported_at')} ELSE 'open' END",
    # the week of the run that wrote it
    "core.event_history": _week("try_strptime(left(run_id, 8), '%Y%m%d')"),
    "mart.event_sla": f"CASE WHEN sla_state = '不予立案' THEN {_week('reported_at')} "
                      "WHEN closed_at IS NULL OR minutes_to_deadline IS NOT NULL THEN 'open' "
                      f"ELSE {_week('closed_at')} END",
    "mart.events_daily": _week("day"),
    "mart.area_kpis_monthly": "strftime(month, '%Y-%m')",
    "warning.detections": _week("day"),                     # a run rewrites the weeks it tests
    # whole: what only a full build changes (the register, the vault, the areas and their shapes,
    # unless an area starts or ends) and what only the warnings' generation does
    **{table: "'all'" for table in (
        "core.persons", "core.households", "core.houses", "core.addresses", "core.organisations",
        "core.needs", "core.volunteers", "core.areas", "core.map_shapes", "secure.vault",
        "secure.vault_index", "warning.incident_events", "warning.incident_days", "warning.alerts",
        "warning.incidents")},
}
OPEN_SUFFIX = "__open"
SCHEMA_PART = "_schema"          # a partition of no rows: the table's columns, whatever it holds


def key(table: str) -> str:
    return f"coalesce(({STORED[table]})::VARCHAR, 'none')"


def parts_folder(folder: Path, table: str) -> Path:
    return Path(folder) / PARTS / table


def view_sql(folder: Path, table: str) -> str:
    """The view a generation's small file holds for a stored table: its partitions' files, listed
    by absolute path (a file gone is an error, not fewer rows; a stray file is not read; no glob
    character in a path matters). A restore to another place writes them again: `relocate`."""
    files = sorted(parts_folder(Path(folder).resolve(), table).glob("part=*/*.parquet"))
    if not files:
        raise FileNotFoundError(f"{table}: no partition under {folder}")
    return (f"SELECT * FROM read_parquet([{', '.join(literal(f) for f in files)}], "
            "hive_partitioning = false)")


# -- writing a generation ---------------------------------------------------------------------

def write(con, folder: Path, create_views) -> None:
    """Write catalog `wh` as the generation in `folder` (its BUILDING mark already there): the
    stored tables as partitions, every other table into the small file, then the views
    (`create_views(con, catalog)`: the generation's own, etl/transform/models.py)."""
    folder = Path(folder)
    # small blocks: in DuckDB's 256 KiB default the demo's fifty small tables take 3.9 MB, in
    # 16 KiB ones 0.9 MB; every run writes the file again (a refresh twice: data, then warnings)
    con.execute(f"ATTACH {literal(folder / FILE)} AS gen (BLOCK_SIZE {SMALL_BLOCK})")
    try:
        for schema in SCHEMAS:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS gen.{schema}")
        con.execute("CREATE SCHEMA IF NOT EXISTS wh.ops")
        con.execute("CREATE OR REPLACE TABLE wh.ops.stored_keys AS SELECT * FROM (VALUES "
                    + ", ".join("(?, ?)" for _ in STORED) + ") t(table_name, key_sql)",
                    [x for item in STORED.items() for x in item])
        tables = {f"{s}.{t}" for (s, t) in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'wh'").fetchall()}
        views = {f"{s}.{t}" for (s, t) in con.execute(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = 'wh' AND NOT internal").fetchall()}
        for table in sorted(tables):
            if table.endswith(OPEN_SUFFIX):
                continue
            if table in STORED:
                _write_partitions(con, f"wh.{table}", folder, table)
            else:
                con.execute(f"CREATE TABLE gen.{table} AS SELECT * FROM wh.{table}")
        for table in sorted(views & STORED.keys()):            # an overlay's: opened ones anew
            _write_partitions(con, f"wh.{table}{OPEN_SUFFIX}", folder, table)
            _link_unopened(con, folder, table)
        for table in sorted((tables | views) & STORED.keys()):
            con.execute(f"COPY (SELECT * FROM wh.{table} LIMIT 0) TO "
                        f"{literal(_new_file(folder, table, SCHEMA_PART))} (FORMAT parquet)")
            con.execute(f"CREATE VIEW gen.{table} AS {view_sql(folder, table)}")
        create_views(con, "gen")
        con.execute("DETACH gen")
    except BaseException:
        con.execute("DETACH DATABASE IF EXISTS gen")
        raise
    for path in sorted(folder.rglob("*"), reverse=True):    # durable before the pointer names it:
        fsync(path)                                         # files and links, then their folders


def _new_file(folder: Path, table: str, part: str) -> Path:
    return _part_file(parts_folder(folder, table), part)


def _part_file(target: Path, part: str) -> Path:
    """A partition's one file under a table's partitions folder (its own folder made)."""
    path = target / f"part={part}" / "data_0.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _write_partitions(con, source: str, folder: Path, table: str) -> None:
    log.info("写出分区 %s (partitions written)", table)      # named before: a failed write says where
    target = parts_folder(folder, table)
    target.mkdir(parents=True, exist_ok=True)
    parts = [p for (p,) in con.execute(f"SELECT DISTINCT {key(table)} FROM {source} ORDER BY 1").fetchall()]
    (threads,) = con.execute("SELECT current_setting('threads')").fetchone()
    try:
        _copy(con, source, table, target, parts, int(threads), max(len(parts), 1))
    except duckdb.OutOfMemoryException:
        log.info("写出分区 %s: 内存不足, 改为分组写出 (out of memory on every thread: written in groups)", table)
        shutil.rmtree(target)   # what the failed write left; its links and _schema file come after
        target.mkdir(parents=True)
        _copy(con, source, table, target, parts, *write_plan(con, source, len(parts)))


_PLAIN = re.compile("[0-9A-Za-z_-]+")      # a partition's folder name as DuckDB writes it
WRITE_FLUSH_ROWS = 16384
WRITE_OPEN_FILES = 512                  # within the usual limit of 1,024 open files


def _copy(con, source: str, table: str, target: Path, parts: list[str], threads: int, at_once: int) -> None:
    (was,) = con.execute("SELECT current_setting('threads')").fetchone()
    # rows need not wait for the rows before them: DuckDB's remedy for a write larger than its
    # memory. Nothing reads a partition in file order.
    con.execute("SET preserve_insertion_order = false")
    # each thread hands its rows to the partitions' files every WRITE_FLUSH_ROWS rows, not
    # DuckDB's 524,288: holding half a million rows of 31 columns per thread spilled them to disk
    # at 2 GB (the city's events: 24 s, 9.5 s so; its row groups stay ~36,000 rows); and a file
    # per partition stays open (past DuckDB's 100 it closes some and starts more files)
    con.execute(f"SET partitioned_write_flush_threshold = {WRITE_FLUSH_ROWS}")
    con.execute(f"SET partitioned_write_max_open_files = {WRITE_OPEN_FILES}")
    con.execute(f"SET threads = {threads}")
    try:
        if len(parts) == 1 and _PLAIN.fullmatch(parts[0]):
            # one partition (the register's, 'all'): a plain write, a third quicker than a
            # partitioned one (its columns without a NULL are REQUIRED in the file, not OPTIONAL:
            # DuckDB reads files of both kinds as one table)
            con.execute(f"COPY (SELECT * FROM {source}) TO {literal(_part_file(target, parts[0]))} (FORMAT parquet)")
            return
        for start in range(0, max(len(parts), 1), at_once):
            group = parts[start:start + at_once]
            rows = f"SELECT *, {key(table)} AS part FROM {source}"
            if len(group) < len(parts):
                rows = f"SELECT * FROM ({rows}) WHERE part IN (SELECT unnest($group))"
            con.execute(f"COPY ({rows}) TO {literal(target)} "
                        "(FORMAT parquet, PARTITION_BY (part), OVERWRITE_OR_IGNORE)",
                        {"group": group} if len(group) < len(parts) else None)
    finally:
        con.execute("RESET preserve_insertion_order")
        con.execute("RESET partitioned_write_flush_threshold")
        con.execute("RESET partitioned_write_max_open_files")
        con.execute(f"SET threads = {was}")


# A partitioned COPY buffers, in each thread, what it has not written yet of every partition (the
# ×4 growth point's write ran out of DuckDB's 2 GB, with DuckDB's flush threshold, not
# WRITE_FLUSH_ROWS). What it needs grew with the rows and columns in measurements on this DuckDB,
# hardly with the partitions: the city's events (10 M rows, 31 columns, ~160 weeks) fit 2 GB on
# two threads, in 41 s against 88 s on one (before WRITE_FLUSH_ROWS: 9.5 s now). So a write first
# runs on every thread; only if it runs out of memory does it take the plan below: the threads that
# three quarters of the limit holds at a block per column, partition and thread (2–10× what the
# measurements needed), else one thread and as many partitions as fit per scan of its source.
BLOCK = 256 * 1024                                   # DuckDB's default block
UNITS = {"bytes": 1, "KiB": 2 ** 10, "MiB": 2 ** 20, "GiB": 2 ** 30, "TiB": 2 ** 40, "PiB": 2 ** 50, "EiB": 2 ** 60}


def write_plan(con, source: str, partitions: int) -> tuple[int, int]:
    """(threads, partitions per scan) for writing `source`'s `partitions` within the memory limit."""
    limit, threads = con.execute("SELECT current_setting('memory_limit'), current_setting('threads')").fetchone()
    number, unit = limit.split()
    columns = len(con.execute(f"SELECT * FROM {source} LIMIT 0").description) + 1
    slots = max(1, int(float(number) * UNITS[unit] * 3 / 4 // (columns * BLOCK)))   # threads × partitions
    if slots >= max(partitions, 1):
        return max(1, min(int(threads), slots // max(partitions, 1))), max(partitions, 1)
    return 1, slots


def _link_unopened(con, folder: Path, table: str) -> None:
    for (path,) in con.execute("SELECT path FROM memory.stored_parts WHERE table_name = ? AND NOT opened "
                               "ORDER BY part", [table]).fetchall():
        source = Path(path)
        target = parts_folder(folder, table) / source.name
        target.mkdir(parents=True)
        for f in sorted(source.glob("*.parquet")):
            os.link(f, target / f.name)


def relocate(file: Path) -> None:
    """Point the stored tables' views of a generation's small file at the partitions beside it
    (after its folder was restored or moved)."""
    folder = Path(file).parent
    if not Path(file).is_file():            # DuckDB would make an empty one
        raise FileNotFoundError(file)
    with duckdb.connect(str(file)) as con:
        views = {f"{s}.{t}" for (s, t) in con.execute(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        for table in sorted(views & STORED.keys()):
            con.execute(f"CREATE OR REPLACE VIEW {table} AS {view_sql(folder, table)}")


# -- the overlay of an incremental run ----------------------------------------------------------

def open_served(con, served_file: Path, create_views) -> None:
    """Attach, as `wh`, an in-memory overlay of the served generation (see the module's doc)."""
    folder = Path(served_file).parent
    con.execute("ATTACH ':memory:' AS wh")
    con.execute(f"ATTACH {literal(served_file)} AS served (READ_ONLY)")
    try:
        for schema in SCHEMAS:
            con.execute(f"CREATE SCHEMA wh.{schema}")
        for (s, t) in con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                                  "WHERE database_name = 'served'").fetchall():
            con.execute(f"CREATE TABLE wh.{s}.{t} AS SELECT * FROM served.{s}.{t}")
        con.execute("CREATE OR REPLACE TABLE memory.stored_parts (table_name VARCHAR, part VARCHAR, "
                    "path VARCHAR, opened BOOLEAN)")
        for table in STORED:
            found = sorted(p for p in parts_folder(folder, table).glob("part=*") if p.is_dir())
            if not found:
                continue                            # the served generation has no such table
            schema_file = parts_folder(folder, table) / f"part={SCHEMA_PART}" / "data_0.parquet"
            con.execute(f"CREATE TABLE wh.{table}{OPEN_SUFFIX} AS SELECT * FROM read_parquet({literal(schema_file)}, hive_partitioning = false)")
            for p in found:
                if p.name != f"part={SCHEMA_PART}":
                    con.execute("INSERT INTO memory.stored_parts VALUES (?, ?, ?, false)",
                                [table, p.name.removeprefix("part="), str(p)])
            _define_view(con, table)
        for table in _other_keys(con):
            release(con, table)
    finally:
        con.execute("DETACH served")
    create_views(con, "wh")


def _other_keys(con) -> list[str]:
    """The overlay's stored tables that the served generation wrote with another partition key
    than STORED's (or an older release that recorded none): rewritten in full, so no partition
    holds rows of another key's value."""
    (recorded,) = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'wh' "
                              "AND schema_name = 'ops' AND table_name = 'stored_keys'").fetchone()
    written = dict(con.execute("SELECT table_name, key_sql FROM wh.ops.stored_keys").fetchall()) if recorded else {}
    return [t for t in sorted(STORED) if overlaid(con, t) and written.get(t) != STORED[t]]


def overlaid(con, table: str) -> bool:
    schema, name = table.split(".")
    (n,) = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'wh' AND schema_name = ? "
                       "AND table_name = ?", [schema, name + OPEN_SUFFIX]).fetchone()
    return n > 0


def _define_view(con, table: str, keys: set[str] | None = None) -> None:
    """The overlay's view of a stored table: its unopened partitions' files (those of `keys` only,
    if given) and its open table."""
    files = [str(Path(path) / "*.parquet") for (part, path) in con.execute(
        "SELECT part, path FROM memory.stored_parts WHERE table_name = ? AND NOT opened ORDER BY part", [table]
        ).fetchall() if keys is None or part in keys]
    closed = (f"SELECT * FROM read_parquet([{', '.join(literal(f) for f in files)}], hive_partitioning = false) "
              "UNION ALL " if files else "")
    con.execute(f"CREATE OR REPLACE VIEW wh.{table} AS {closed}SELECT * FROM wh.{table}{OPEN_SUFFIX}")


def _open(con, table: str, keys: set[str]) -> None:
    """Copy the named partitions of an overlaid table into its open table."""
    waiting = [(part, path) for part, path in con.execute(
        "SELECT part, path FROM memory.stored_parts WHERE table_name = ? AND NOT opened", [table]).fetchall()
        if part in keys]
    if not waiting:
        return
    files = ", ".join(literal(Path(path) / "*.parquet") for _, path in waiting)
    con.execute(f"INSERT INTO wh.{table}{OPEN_SUFFIX} SELECT * FROM read_parquet([{files}], hive_partitioning = false)")
    con.executemany("UPDATE memory.stored_parts SET opened = true WHERE table_name = ? AND part = ?",
                    [[table, part] for part, _ in waiting])
    _define_view(con, table)


def opened(con, table: str) -> str:
    """The relation holding every row of the partitions this run opened: every row it inserted,
    and those `open_partitions` opened (wh.<table> itself when the table is not overlaid). Reading
    rows known to be there from it reads no Parquet: a search of the whole view by event id
    decodes every column of every partition (2.2 s at city scale, against 0.4 s for the id alone)."""
    return f"wh.{table}{OPEN_SUFFIX}" if overlaid(con, table) else f"wh.{table}"


def open_partitions(con, table: str, keys: set[str]) -> str:
    """Open the partitions of wh.<table> of these key values (`key(table)`); returns
    `opened(con, table)`, which holds their rows now."""
    if overlaid(con, table):
        _open(con, table, keys)
    return opened(con, table)


@contextmanager
def narrowed(con, table: str, where: str, params=None):
    """Within the block, the overlay's view wh.<table> shows only the partitions holding a row that
    matches `where` (found by a scan of the key's and `where`'s columns alone): a query reading only
    such rows then decodes those partitions, not the whole table. A no-op for a table not overlaid."""
    if not overlaid(con, table):
        yield
        return
    _define_view(con, table, _keys_where(con, table, where, params))
    _NARROWED.add((id(con), table))
    try:
        yield
    finally:
        _NARROWED.discard((id(con), table))
        _define_view(con, table)


_NARROWED: set[tuple[int, str]] = set()     # (connection, table) within `narrowed`


def _writable(con, table: str) -> None:
    """A write finds the partitions it touches in the view: within `narrowed` it would miss some."""
    if (id(con), table) in _NARROWED:
        raise RuntimeError(f"{table}: written while narrowed (etl/storage.py)")


def delete(con, table: str, where: str, params=None) -> None:
    """DELETE FROM wh.<table> WHERE <where>; the partitions it deletes from found by a scan of the
    key's and `where`'s columns alone."""
    _writable(con, table)
    if overlaid(con, table):
        _open(con, table, _keys_where(con, table, where, params))
    con.execute(f"DELETE FROM {opened(con, table)} WHERE {where}", params)


def _keys_where(con, table: str, where: str, params=None) -> set[str]:
    """The partitions of wh.<table> holding a row that matches `where`: a scan of the key's and
    `where`'s columns alone."""
    return {k for (k,) in con.execute(f"SELECT DISTINCT {key(table)} FROM wh.{table} WHERE {where}", params).fetchall()}


def insert(con, table: str, select: str, params=None, by_name: bool = False) -> int:
    """INSERT INTO wh.<table> [BY NAME] <select>; the rows inserted."""
    by = "BY NAME " if by_name else ""
    _writable(con, table)
    if not overlaid(con, table):
        return con.execute(f"INSERT INTO wh.{table} {by}{select}", params).fetchone()[0]
    con.execute(f"CREATE OR REPLACE TEMP TABLE storage_rows AS SELECT * FROM wh.{table}{OPEN_SUFFIX} LIMIT 0")
    (n,) = con.execute(f"INSERT INTO storage_rows {by}{select}", params).fetchone()
    _open(con, table, {k for (k,) in con.execute(f"SELECT DISTINCT {key(table)} FROM storage_rows").fetchall()})
    con.execute(f"INSERT INTO wh.{table}{OPEN_SUFFIX} SELECT * FROM storage_rows")
    con.execute("DROP TABLE storage_rows")
    return n


def forget(con, table: str) -> None:
    """An overlaid table about to be replaced or dropped: gone from the overlay (made again, it is
    written in full); a no-op for any other table."""
    if not overlaid(con, table):
        return
    con.execute(f"DROP VIEW wh.{table}")
    con.execute(f"DROP TABLE wh.{table}{OPEN_SUFFIX}")
    con.execute("DELETE FROM memory.stored_parts WHERE table_name = ?", [table])


def release(con, table: str) -> None:
    """Make an overlaid table a plain table of all its rows, to be rebuilt in full (and written
    in full); a no-op for any other table."""
    if not overlaid(con, table):
        return
    rows = {part for (part,) in con.execute(
        "SELECT part FROM memory.stored_parts WHERE table_name = ?", [table]).fetchall()}
    _open(con, table, rows)
    schema, name = table.split(".")
    con.execute(f"DROP VIEW wh.{table}")
    con.execute(f"ALTER TABLE wh.{table}{OPEN_SUFFIX} RENAME TO {name}")
    con.execute("DELETE FROM memory.stored_parts WHERE table_name = ?", [table])


def single_file(generation_file: Path, target: Path) -> None:
    """A generation as one DuckDB file, every table in it (the stored ones read from their
    partitions) and the generation's views: to hand over or to change in place (tests). Readers
    read it as a warehouse of its own (warehouse.generations.served)."""
    from etl.transform.models import create_views
    with duckdb.connect() as con:
        con.execute(f"ATTACH {literal(generation_file)} AS source (READ_ONLY)")
        con.execute(f"ATTACH {literal(target)} AS out")
        for schema in SCHEMAS:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS out.{schema}")
        stored = {f"{s}.{t}" for (s, t) in con.execute(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = 'source' AND NOT internal"
            ).fetchall()} & STORED.keys()
        for table in sorted(stored | {f"{s}.{t}" for (s, t) in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'source'").fetchall()}):
            con.execute(f"CREATE TABLE out.{table} AS SELECT * FROM source.{table}")
        create_views(con, "out")
