"""What the monitoring routes (/readyz, /metrics) read: the served generation's age, its warnings'
lag and its quarantine share, and the ETL's last refresh from its run log. Warehouse-wide counts
and instants, not limited by a scope (there is no viewer), never a value from a row."""
from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from cockpit.db import Snapshot
from cockpit.queries import sql
from cockpit.queries.health import pointer, run_log_path

REFRESHES = ("refresh", "refresh --incremental")
SUCCEEDED = ("published", "unchanged")


def served(wh: Snapshot, warehouse_path: Path) -> dict:
    row = wh.query(sql("ops__served")).iloc[0]
    ptr = pointer(warehouse_path)
    published = ptr.get("published_at") if ptr and ptr.get("generation") == wh.generation else None
    out = {"generation": wh.generation,
           "age_seconds": _since(published),
           "data_as_of": None if row["as_of"] != row["as_of"] or row["as_of"] is None else str(row["as_of"]),
           "data_age_seconds": _number(row["data_age_seconds"]),
           "quarantine_share": (int(row["rows_quarantined"]) / int(row["rows_in"])
                                if _number(row["rows_in"]) else None),
           "warnings": None}
    if bool(row["has_warnings"]):
        lag = wh.query(sql("ops__warnings"))
        if len(lag):
            out["warnings"] = {"lagging": bool(lag["lagging"].iloc[0]),
                               "lag_seconds": _number(lag["lag_seconds"].iloc[0]) or 0.0}
    return out


def last_refresh(warehouse_path: Path) -> dict | None:
    """The latest refresh that has ended (its outcome, duration and end), and when the latest
    one that published or found nothing new ended; None without a run log."""
    path = run_log_path(warehouse_path)
    if path is None or not path.exists():
        return None
    marks = ",".join("?" * len(REFRESHES))
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        last = con.execute(f"SELECT status, exit_code, seconds, ended_at FROM runs WHERE command IN ({marks}) "
                           "AND ended_at IS NOT NULL ORDER BY started_at DESC, run_id DESC LIMIT 1",
                           REFRESHES).fetchone()
        ok = con.execute(f"SELECT max(ended_at) FROM runs WHERE command IN ({marks}) AND status IN (?, ?)",
                         (*REFRESHES, *SUCCEEDED)).fetchone()[0]
    finally:
        con.close()
    if last is None:
        return None
    return {"status": last[0], "exit_code": last[1], "seconds": last[2], "ended_at": _epoch(last[3]),
            "last_success": _epoch(ok)}


def _epoch(text: str | None) -> float | None:
    if not text:
        return None
    stamp = dt.datetime.fromisoformat(text)
    return (stamp if stamp.tzinfo else stamp.astimezone()).timestamp()


def _since(text: str | None) -> float | None:
    at = _epoch(text)
    return None if at is None else max(0.0, dt.datetime.now().timestamp() - at)


def _number(value) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if f != f else f
