"""The run log: one row per ETL run (start, end, status, counts, error) and one per file read,
in `<warehouse>/runs.sqlite`, beside the generations and never swapped with them, so a failed,
refused or killed run is recorded too. SQLite in WAL mode: the cockpit's data-health view reads
it while a run writes.

Statuses: running → published | unchanged (same files as the served generation) | rejected (the
build failed its publish checks) | failed (an error) | interrupted (its process is gone: killed;
marked by `etl status` or the next run) | rolled_back (a `rollback` command); refused (another
run held the warehouse: recorded, nothing done).

The file carries a schema version (PRAGMA user_version); every write connection upgrades an older
file first, keeping its rows (MIGRATIONS, one step per version). A file from a newer release is
refused rather than written wrongly."""
from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

from etl.exitcodes import ExitCode
from warehouse.runs import FILE, host, start_token, still_running

# step k upgrades a file of version k to version k + 1 (version 0: a new file, or one written
# before versions were kept, which holds the first step's tables already)
MIGRATIONS = (
    """CREATE TABLE IF NOT EXISTS runs (
        run_id TEXT PRIMARY KEY, command TEXT NOT NULL, pid INTEGER, source TEXT,
        started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL, exit_code INTEGER,
        generation TEXT, rows_in INTEGER, rows_loaded INTEGER, rows_quarantined INTEGER,
        rows_repaired INTEGER, seconds REAL, error TEXT, detail TEXT
    );
    CREATE TABLE IF NOT EXISTS run_files (
        run_id TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT, encoding TEXT,
        rows_in INTEGER, rows_loaded INTEGER, rows_quarantined INTEGER, rows_repaired INTEGER,
        PRIMARY KEY (run_id, file)
    );""",
    # the process behind a run, so that a killed one is seen at once; physical lines per file
    """ALTER TABLE runs ADD COLUMN host TEXT;
    ALTER TABLE runs ADD COLUMN pid_start TEXT;
    ALTER TABLE run_files ADD COLUMN lines_in INTEGER;""",
)
VERSION = len(MIGRATIONS)


class NewerRunLog(Exception):
    """runs.sqlite was written by a newer release."""


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def connect(warehouse: Path, read_only: bool = False) -> sqlite3.Connection:
    path = Path(warehouse) / FILE
    if read_only:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    Path(warehouse).mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)   # autocommit: one row, one write
    con.execute("PRAGMA journal_mode=WAL")
    upgrade(con)
    return con


def upgrade(con: sqlite3.Connection) -> int:
    """Bring the file to VERSION, each step in its own transaction. Returns the version found."""
    found = con.execute("PRAGMA user_version").fetchone()[0]
    if found > VERSION:
        raise NewerRunLog(f"{FILE} 为新版本程序所写 (schema {found} > {VERSION}); 请升级程序")
    for version in range(found, VERSION):
        con.execute("BEGIN IMMEDIATE")
        try:
            if con.execute("PRAGMA user_version").fetchone()[0] == version:   # not done meanwhile
                for statement in MIGRATIONS[version].split(";"):
                    if statement.strip():
                        _apply(con, statement)
                con.execute(f"PRAGMA user_version = {version + 1}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return found


def _apply(con: sqlite3.Connection, statement: str) -> None:
    try:
        con.execute(statement)
    except sqlite3.OperationalError as exc:       # a column an interrupted upgrade already added
        if "duplicate column" not in str(exc):
            raise


def mark_interrupted(con: sqlite3.Connection) -> int:
    """Runs still "running" when the lock is free again were killed. Returns how many."""
    cur = con.execute("UPDATE runs SET status = 'interrupted', ended_at = ? WHERE status = 'running'",
                      [_now()])
    return cur.rowcount


def mark_gone(con: sqlite3.Connection) -> int:
    """Runs still "running" whose process is gone (killed) become interrupted. Returns how many."""
    gone = [run_id for run_id, pid, run_host, token in con.execute(
        "SELECT run_id, pid, host, pid_start FROM runs WHERE status = 'running'").fetchall()
        if not still_running(pid, run_host, token)]
    for run_id in gone:
        con.execute("UPDATE runs SET status = 'interrupted', ended_at = ?, "
                    "error = coalesce(error, '进程已不在 (process gone: killed)') "
                    "WHERE run_id = ? AND status = 'running'", [_now(), run_id])
    return len(gone)


def start(con: sqlite3.Connection, run_id: str, command: str, source: str | None) -> None:
    con.execute("INSERT INTO runs (run_id, command, pid, host, pid_start, source, started_at, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'running')",
                [run_id, command, os.getpid(), host(), start_token(), source, _now()])


def refused(warehouse: Path, run_id: str, command: str, source: str | None, error: str) -> None:
    """Record a run that did not start because another held the warehouse (ExitCode.LOCKED)."""
    con = connect(warehouse)
    try:
        start(con, run_id, command, source)
        con.execute("UPDATE runs SET status = 'refused', exit_code = ?, ended_at = started_at, "
                    "seconds = 0, error = ? WHERE run_id = ?", [ExitCode.LOCKED, error, run_id])
    finally:
        con.close()


def finish(con: sqlite3.Connection, run_id: str, status: str, exit_code: int, *, seconds: float,
           files: list[dict] = (), generation: str | None = None, error: str | None = None,
           detail: dict | None = None) -> None:
    con.execute("BEGIN")
    for f in files:
        con.execute("INSERT OR REPLACE INTO run_files (run_id, file, sha256, encoding, rows_in, "
                    "rows_loaded, rows_quarantined, rows_repaired, lines_in) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, f["file"], f.get("sha256"), f.get("encoding"), f["rows_in"],
                     f["loaded"], f["quarantined"], f.get("repaired", 0), f.get("lines_in")])
    total = {k: sum(f.get(k, 0) for f in files) if files else None
             for k in ("rows_in", "loaded", "quarantined", "repaired")}
    con.execute("""UPDATE runs SET ended_at = ?, status = ?, exit_code = ?, generation = ?, rows_in = ?,
                   rows_loaded = ?, rows_quarantined = ?, rows_repaired = ?, seconds = ?, error = ?,
                   detail = ? WHERE run_id = ?""",
                [_now(), status, exit_code, generation, total["rows_in"], total["loaded"],
                 total["quarantined"], total["repaired"], round(seconds, 3), error,
                 json.dumps(detail, ensure_ascii=False) if detail else None, run_id])
    con.execute("COMMIT")


def runs(warehouse: Path, limit: int = 50) -> list[dict]:
    """The latest runs, newest first (empty before the first run)."""
    if not (Path(warehouse) / FILE).exists():
        return []
    con = connect(warehouse, read_only=True)
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute(
            "SELECT * FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?", [limit])]
    finally:
        con.close()
