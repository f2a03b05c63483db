"""The run log: one row per ETL run (start, end, status, counts, error) and one per file read,
in `<warehouse>/runs.sqlite`, beside the generations and never swapped with them, so a failed or
killed run is recorded too. SQLite in WAL mode: the cockpit's data-health view reads it while a
run writes.

Statuses: running → published | unchanged (same files as the served generation) | rejected (the
build failed its publish checks) | failed (an error) | interrupted (found still "running" by the
next run: the process was killed) | rolled_back (a `rollback` command)."""
from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

FILE = "runs.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, command TEXT NOT NULL, pid INTEGER, source TEXT,
    started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL, exit_code INTEGER,
    generation TEXT, rows_in INTEGER, rows_loaded INTEGER, rows_quarantined INTEGER,
    rows_repaired INTEGER, seconds REAL, error TEXT, detail TEXT
);
CREATE TABLE IF NOT EXISTS run_files (
    run_id TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT, encoding TEXT,
    rows_in INTEGER, rows_loaded INTEGER, rows_quarantined INTEGER, rows_repaired INTEGER,
    PRIMARY KEY (run_id, file)
);
"""


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def connect(warehouse: Path, read_only: bool = False) -> sqlite3.Connection:
    path = Path(warehouse) / FILE
    if read_only:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    Path(warehouse).mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)   # autocommit: one row, one write
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(SCHEMA)
    return con


def mark_interrupted(con: sqlite3.Connection) -> int:
    """Runs still "running" when the lock is free again were killed. Returns how many."""
    cur = con.execute("UPDATE runs SET status = 'interrupted', ended_at = ? WHERE status = 'running'",
                      [_now()])
    return cur.rowcount


def start(con: sqlite3.Connection, run_id: str, command: str, source: str | None) -> None:
    con.execute("INSERT INTO runs (run_id, command, pid, source, started_at, status) "
                "VALUES (?, ?, ?, ?, ?, 'running')", [run_id, command, os.getpid(), source, _now()])


def finish(con: sqlite3.Connection, run_id: str, status: str, exit_code: int, *, seconds: float,
           files: list[dict] = (), generation: str | None = None, error: str | None = None,
           detail: dict | None = None) -> None:
    con.execute("BEGIN")
    for f in files:
        con.execute("INSERT OR REPLACE INTO run_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, f["file"], f.get("sha256"), f.get("encoding"), f["rows_in"],
                     f["loaded"], f["quarantined"], f.get("repaired", 0)])
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
