"""研判 labels: duty officers mark an early-warning incident, or one of its alerts, 确认 (a real
incident), 误报 (a false alarm) or 已处置 (real, and dealt with), with a note.

A store of the cockpit's state (cockpit/stores): a small SQLite file beside the accounts and the
audit log (COCKPIT_LABELS), or tables in the PostgreSQL database every web server shares
(COCKPIT_DATABASE_URL), so a label made on one server is seen on all; never inside a swapped
generation: labels outlive generations, and incident and alert ids are stable across refreshes
(the same first alarm gives the same id, etl/warning/screen.py). Each label carries the areas its
incident is seen from (warning.incident_areas: its main area, and its grids for an incident of
grids or a community), taken from the warehouse on the server, so a label is visible exactly to
the accounts that see the incident. The note is scrubbed of ID and mobile numbers before it is
stored. Labels are only added, never changed (a trigger refuses an update on both backends; in
PostgreSQL the web role may only insert and read): the latest label of a target counts, the
earlier ones are its history.

The schema is versioned per backend (cockpit/stores); a store of a newer version is refused
rather than written to."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from cockpit import stores
from warehouse.personal import scrub

LABELS = ("确认", "误报", "已处置")
TRUE_LABELS = ("确认", "已处置")
TARGETS = ("incident", "alert")
NOTE_CHARS = 500
SEEN = ("EXISTS (SELECT 1 FROM label_areas s WHERE s.label_id = l.id "
        "AND substr(s.area_code, 1, length(?)) = ?)")
_COLUMNS = """
    at TEXT NOT NULL,                 -- UTC, ISO 8601 to the second
    account TEXT NOT NULL,
    area_code TEXT NOT NULL,          -- the incident's main area
    incident_id TEXT NOT NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('incident', 'alert')),
    target_id TEXT NOT NULL,
    label TEXT NOT NULL CHECK (label IN ('确认', '误报', '已处置')),
    note TEXT NOT NULL DEFAULT ''
);"""
_INDEXES = """
CREATE INDEX IF NOT EXISTS labels_by_incident ON labels (incident_id, id);
CREATE INDEX IF NOT EXISTS label_areas_by_area ON label_areas (area_code, label_id);
"""
# SQLite's step 1 is the file the release before versions per backend wrote (user_version 1)
SQLITE = ("CREATE TABLE IF NOT EXISTS labels (\n    id INTEGER PRIMARY KEY AUTOINCREMENT," + _COLUMNS + """
CREATE TABLE IF NOT EXISTS label_areas (  -- the areas whose accounts see the label
    label_id INTEGER NOT NULL REFERENCES labels (id), area_code TEXT NOT NULL
);""" + _INDEXES + """
CREATE TRIGGER IF NOT EXISTS labels_no_update BEFORE UPDATE ON labels
BEGIN SELECT RAISE(ABORT, 'labels are only added'); END;
""")
_REFUSE = ("RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', "
           "MESSAGE = 'labels are only added';")
POSTGRESQL = ("CREATE TABLE labels (\n    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY," + _COLUMNS + """
CREATE TABLE label_areas (
    label_id BIGINT NOT NULL REFERENCES labels (id), area_code TEXT NOT NULL
);""" + _INDEXES + f"""
CREATE FUNCTION labels_no_update() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$ BEGIN {_REFUSE} END $$;
CREATE TRIGGER labels_no_update BEFORE UPDATE ON labels FOR EACH ROW EXECUTE FUNCTION labels_no_update();
CREATE TRIGGER labels_no_truncate BEFORE TRUNCATE ON labels FOR EACH STATEMENT
EXECUTE FUNCTION labels_no_update();
""")
# the web role adds and reads, nothing more
SCHEMA = stores.Schema("warning_labels", [SQLITE], [POSTGRESQL], rights={
    "labels": "SELECT, INSERT", "label_areas": "SELECT, INSERT"})


class LabelError(ValueError):
    """A label the store refuses (unknown label or target, a newer schema)."""


class LabelStore:
    """A SQLite file is created by the first label: reading a store nobody has written to finds
    none. `where`: the file, or a postgresql:// URL (cockpit.stores.open)."""

    def __init__(self, where: Path | str | stores.Database):
        self.db = stores.open(where)

    def _ready_or_absent(self, create: bool = False) -> bool:
        """Whether the store is there (its schema brought up to this release's, once per process)."""
        try:
            return self.db.ready(SCHEMA, create)
        except RuntimeError as e:
            raise LabelError(f"研判标记库 {self.db.label} 的结构版本不可用：{e}") from e

    def _read(self, sql: str, params: list) -> pd.DataFrame | None:
        if not self._ready_or_absent():
            return None
        with self.db.connection() as con:
            cur = con.execute(sql, params)
            return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])

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
        self._ready_or_absent(create=True)
        with self.db.transaction() as con:
            row["id"] = con.execute(
                "INSERT INTO labels (at, account, area_code, incident_id, target_kind, target_id, label, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [row[k] for k in ("at", "account", "area_code", "incident_id", "target_kind", "target_id",
                                  "label", "note")]).fetchone()[0]
            for area in areas:
                con.execute("INSERT INTO label_areas (label_id, area_code) VALUES (?, ?)", (row["id"], area))
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
        frame["week"] = (at - pd.to_timedelta(at.dt.day_of_week, unit="D")).dt.normalize()
        out = frame.groupby("week").agg(marked=("label", "size"),
                                        real=("label", lambda v: int(v.isin(TRUE_LABELS).sum())),
                                        false=("label", lambda v: int((v == "误报").sum()))).reset_index()
        out["precision"] = out["real"] / out["marked"]
        return out[columns]


def store() -> LabelStore:
    """The app's label store (COCKPIT_LABELS, or the state database: cockpit/config.py)."""
    from flask import current_app
    config = current_app.config
    if "COCKPIT_LABEL_STORE" not in config:
        config["COCKPIT_LABEL_STORE"] = LabelStore(config["COCKPIT_SETTINGS"].store("labels"))
    return config["COCKPIT_LABEL_STORE"]
