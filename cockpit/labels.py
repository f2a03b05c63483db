"""研判 labels: duty officers mark an early-warning incident, or one of its alerts, 确认 (a real
incident), 误报 (a false alarm) or 已处置 (real, and dealt with), with a note.

A small SQLite file beside the accounts and the audit log, never inside a swapped generation:
labels outlive generations, and incident and alert ids are stable across refreshes (the same
first alarm gives the same id, etl/warning/screen.py). Each label carries the areas its incident
is seen from (warning_incident_areas: its main area, and its grids for an incident of grids or a
community), taken from the warehouse on the server, so a label is visible exactly to the
accounts that see the incident. The note is scrubbed of ID and mobile numbers
before it is stored. Labels are only added, never changed: the latest label of a target counts,
the earlier ones are its history.

The schema's version is SQLite's user_version; a file of a newer version is refused rather than
written to."""
from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd

from warehouse.personal import scrub

LABELS = ("确认", "误报", "已处置")
TRUE_LABELS = ("确认", "已处置")
TARGETS = ("incident", "alert")
NOTE_CHARS = 500
SCHEMA_VERSION = 1
SEEN = ("EXISTS (SELECT 1 FROM label_areas s WHERE s.label_id = l.id "
        "AND substr(s.area_code, 1, length(?)) = ?)")
SCHEMA = """
CREATE TABLE IF NOT EXISTS labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,                 -- UTC, ISO 8601 to the second
    account TEXT NOT NULL,
    area_code TEXT NOT NULL,          -- the incident's main area
    incident_id TEXT NOT NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('incident', 'alert')),
    target_id TEXT NOT NULL,
    label TEXT NOT NULL CHECK (label IN ('确认', '误报', '已处置')),
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS label_areas (  -- the areas whose accounts see the label
    label_id INTEGER NOT NULL REFERENCES labels (id), area_code TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS labels_by_incident ON labels (incident_id, id);
CREATE INDEX IF NOT EXISTS label_areas_by_area ON label_areas (area_code, label_id);
CREATE TRIGGER IF NOT EXISTS labels_no_update BEFORE UPDATE ON labels
BEGIN SELECT RAISE(ABORT, 'labels are only added'); END;
"""


class LabelError(ValueError):
    """A label the store refuses (unknown label or target, a newer schema)."""


class LabelStore:
    """The file is created by the first label: reading a store nobody has written to finds none."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=30)) as con, con:
                version = con.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise LabelError(f"{self.path}: 研判标记库版本 {version} 高于本程序支持的 {SCHEMA_VERSION}")
                con.execute("PRAGMA journal_mode=WAL")
                con.executescript(SCHEMA)
                con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._ready = True
        return sqlite3.connect(self.path, timeout=30)

    def _read(self, sql: str, params: list) -> pd.DataFrame | None:
        if not self._ready and not self.path.exists():
            return None
        with closing(self._connect()) as con:
            return pd.read_sql_query(sql, con, params=params)

    def add(self, account: str, area_code: str, incident_id: str, label: str, note: str = "",
            target_kind: str = "incident", target_id: str | None = None, seen_from=()) -> dict:
        """Store a label; returns it as stored (the note scrubbed and cut to NOTE_CHARS).
        `seen_from`: the areas whose accounts see it (the main area always does)."""
        if label not in LABELS:
            raise LabelError(f"研判结论须为 {'、'.join(LABELS)}")
        if target_kind not in TARGETS:
            raise LabelError(f"标记对象须为 {TARGETS}")
        areas = sorted({area_code, *seen_from})
        if not all(isinstance(a, str) and a.isascii() and a.isdigit() for a in areas):
            raise LabelError("areas must be area codes")
        row = {"at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"), "account": account,
               "area_code": area_code, "incident_id": incident_id, "target_kind": target_kind,
               "target_id": target_id or incident_id, "label": label,
               "note": scrub(str(note or "").strip())[:NOTE_CHARS]}
        with closing(self._connect()) as con, con:
            cur = con.execute("INSERT INTO labels (at, account, area_code, incident_id, target_kind, target_id, "
                              "label, note) VALUES (:at, :account, :area_code, :incident_id, :target_kind, "
                              ":target_id, :label, :note)", row)
            row["id"] = cur.lastrowid
            con.executemany("INSERT INTO label_areas VALUES (?, ?)", [(row["id"], a) for a in areas])
        return row

    def history(self, scope_code: str, incident_id: str) -> pd.DataFrame:
        """Every label of one incident and its alerts, newest first, if its area is in scope."""
        found = self._read("SELECT id, at, account, target_kind, target_id, label, note FROM labels l "
                           f"WHERE incident_id = ? AND {SEEN} ORDER BY id DESC", [incident_id, scope_code, scope_code])
        return found if found is not None else pd.DataFrame(
            columns=["id", "at", "account", "target_kind", "target_id", "label", "note"])

    def latest(self, scope_code: str) -> pd.DataFrame:
        """The latest label of each incident (as a whole) in scope: incident_id, label, at, account."""
        found = self._read(f"SELECT incident_id, label, at, account FROM labels l WHERE target_kind = 'incident' "
                           f"AND {SEEN} AND id = (SELECT max(id) FROM labels m "
                           "WHERE m.target_kind = 'incident' AND m.target_id = l.target_id)",
                           [scope_code, scope_code])
        return found if found is not None else pd.DataFrame(columns=["incident_id", "label", "at", "account"])

    def precision_by_week(self, scope_code: str) -> pd.DataFrame:
        """Per week (Monday) of the latest label of each target in scope: how many were marked,
        how many real (确认 or 已处置), false (误报), and the precision real / marked."""
        frame = self._read(f"SELECT at, label FROM labels l WHERE {SEEN} AND id = "
                           "(SELECT max(id) FROM labels m WHERE m.target_kind = l.target_kind "
                           "AND m.target_id = l.target_id)", [scope_code, scope_code])
        columns = ["week", "marked", "real", "false", "precision"]
        if frame is None or frame.empty:
            return pd.DataFrame(columns=columns)
        at = pd.to_datetime(frame["at"], utc=True).dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
        frame["week"] = (at - pd.to_timedelta(at.dt.weekday, unit="D")).dt.normalize()
        out = frame.groupby("week").agg(marked=("label", "size"),
                                        real=("label", lambda v: int(v.isin(TRUE_LABELS).sum())),
                                        false=("label", lambda v: int((v == "误报").sum()))).reset_index()
        out["precision"] = out["real"] / out["marked"]
        return out[columns]


def store() -> LabelStore:
    """The app's label store (COCKPIT_LABELS, cockpit/config.py)."""
    from flask import current_app
    config = current_app.config
    if "COCKPIT_LABEL_STORE" not in config:
        config["COCKPIT_LABEL_STORE"] = LabelStore(config["COCKPIT_SETTINGS"].labels)
    return config["COCKPIT_LABEL_STORE"]
