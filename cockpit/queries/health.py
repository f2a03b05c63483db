"""数据健康: what is served and how it was loaded. The served generation's own tables (meta,
load_log, quarantine, repairs) and the ETL's run log, `runs.sqlite` beside the generations,
read with sqlite3 read-only. Like all of the cockpit it imports nothing from `etl`: the pointer
format comes from the shared read package (warehouse/generations.py), the run log's columns are
named here and read as they are (docs/design.md, "Layers").

Load metadata has no area code, so these queries are warehouse-wide rather than limited by a
scope; they return counts and file/line/column/rule names only, never a value from a row."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import scrub_frame, sql
from cockpit.queries.meta import generation
from warehouse import generations
from warehouse.runs import FILE as RUN_LOG, still_running

RUN_COLUMNS = ("run_id", "command", "status", "exit_code", "started_at", "ended_at", "seconds",
               "generation", "rows_in", "rows_loaded", "rows_quarantined", "rows_repaired", "error")
# a run's process, to tell a killed run ("running" in the log until the next run) from a live one;
# a run log from before they were kept has none of them
PROCESS_COLUMNS = ("pid", "host", "pid_start")
ERROR_CHARS = 300
# a run's status (etl/runlog.py) in words
STATUS_NAMES = {"published": "已发布", "unchanged": "无变化", "rejected": "未通过检查", "failed": "失败",
                "interrupted": "中断", "rolled_back": "已回滚", "running": "运行中",
                "refused": "被拒绝（另一运行持有锁）"}
# a run that leaves the data as they should be (refused: another run held the warehouse)
GOOD_STATUSES = ("published", "unchanged", "rolled_back")


def _query(wh: Snapshot, name: str) -> pd.DataFrame:
    # run() binds $scope, which these scope-less tables cannot use: bind nothing instead
    return scrub_frame(wh.query(sql(name)))


def load_log(wh: Snapshot) -> pd.DataFrame:
    return _query(wh, "health__load_log")


def quarantine_by_rule(wh: Snapshot) -> pd.DataFrame:
    return _query(wh, "health__quarantine")


def repairs_by_rule(wh: Snapshot) -> pd.DataFrame:
    return _query(wh, "health__repairs")


def _has(wh: Snapshot, schema: str, table: str) -> bool:
    return bool(len(wh.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = $s AND table_name = $t UNION ALL "
                             "SELECT 1 FROM duckdb_views() WHERE schema_name = $s AND view_name = $t",
                             {"s": schema, "t": table})))


def topology(wh: Snapshot) -> pd.DataFrame:
    """Grids that do not tile their community; empty for a generation built before the check."""
    if not _has(wh, "ops", "grid_topology"):
        return pd.DataFrame(columns=["community_code", "problem", "grid_codes", "area_m2", "check_date"])
    return _query(wh, "health__topology")


def calendar(wh: Snapshot) -> pd.DataFrame:
    """Years of data and the work calendar deciding them; empty for an older generation."""
    if not _has(wh, "ops", "calendar_coverage"):
        return pd.DataFrame(columns=["year", "source", "events", "needs"])
    return _query(wh, "health__calendar")


def pointer(warehouse_path: Path) -> dict | None:
    """The CURRENT pointer (generation, file, published_at), or None for a single-file warehouse
    or before the first publish."""
    path = Path(warehouse_path)
    if path.is_file():
        return None
    try:
        return json.loads((path / generations.POINTER).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def served(wh: Snapshot, warehouse_path: Path) -> dict:
    """The generation this request reads, when it was published (if the pointer still names it:
    a publish may land between the snapshot and this read), when it was built, and its as-of."""
    meta = generation(wh)
    ptr = pointer(warehouse_path)
    published = ptr.get("published_at") if ptr and ptr.get("generation") == wh.generation else None
    return {"generation": wh.generation, "published_at": published, "run_id": meta["run_id"],
            "built_at": meta["built_at"], "as_of": meta["as_of"]}


def disk_stamp(warehouse_path: Path) -> tuple:
    """(mtime, size) of the run log, its write-ahead log and the CURRENT pointer: a run that starts
    or ends, or a publish, changes one of them. Part of the page's cache key."""
    path = Path(warehouse_path)
    if path.is_file():
        return ()
    out = []
    for name in (RUN_LOG, RUN_LOG + "-wal", generations.POINTER):
        try:
            st = (path / name).stat()
            out.append((name, st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            out.append((name, None, None))
    return tuple(out)


def run_log_path(warehouse_path: Path) -> Path | None:
    """Where the run log is, or None when the warehouse is a single DuckDB file (no ETL runs)."""
    path = Path(warehouse_path)
    return None if path.is_file() else path / RUN_LOG


def runs(warehouse_path: Path, limit: int = 20) -> pd.DataFrame | None:
    """The latest runs, newest first; None when there is no run log (single-file warehouse),
    an empty frame before the first run. Opened read-only: the ETL may be writing (WAL)."""
    path = run_log_path(warehouse_path)
    if path is None:
        return None
    if not path.exists():
        return pd.DataFrame(columns=list(RUN_COLUMNS))
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        present = {r[1] for r in con.execute("PRAGMA table_info(runs)").fetchall()}
        process = [c for c in PROCESS_COLUMNS if c in present]
        cur = con.execute(f"SELECT {', '.join(RUN_COLUMNS + tuple(process))} FROM runs "
                          "ORDER BY started_at DESC, run_id DESC LIMIT ?", [int(limit)])
        out = pd.DataFrame(cur.fetchall(), columns=list(RUN_COLUMNS) + process)
    finally:
        con.close()
    # "running" with its process gone: killed (the next run or `etl status` will record it)
    gone = [r.status == "running" and not still_running(getattr(r, "pid", None), getattr(r, "host", None),
                                                         getattr(r, "pid_start", None))
            for r in out.itertuples()]
    out.loc[gone, "status"] = "interrupted"
    return out[list(RUN_COLUMNS)]
