"""The push store (COCKPIT_NOTIFY_STORE, a kept file: warehouse/state.py, so backups take it): what
each channel was told, the delivery log, and each channel's rate-limit bucket. A SQLite file beside
the accounts and the audit log (on the cockpit/stores interface; SQLite only: push runs in the
scheduler's one process), never inside a swapped generation:
what a group was told outlives generations.

- announced: per channel and notice key (an incident's id, a run's id, a briefing file), the state
  last announced (JSON) and when. Deduplication compares today's state with it
  (cockpit/notify/notices.py `change`).
- deliveries: one row per message tried, however it ended (sent, failed, deferred by the rate
  limit, dropped in quiet hours, refused for personal data), with attempts and a short detail
  (an HTTP status or the robot's errcode, never the message or the channel's URL).
- buckets: a token bucket per channel (tokens, last refill), so separate runs share one limit."""
from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pandas as pd

from cockpit import stores

SCHEMA = stores.Schema("notify", [
    """
    CREATE TABLE IF NOT EXISTS announced (
        channel TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,
        at TEXT NOT NULL, PRIMARY KEY (channel, key)
    );
    CREATE TABLE IF NOT EXISTS deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, channel TEXT NOT NULL,
        kind TEXT NOT NULL, key TEXT NOT NULL, outcome TEXT NOT NULL, attempts INTEGER NOT NULL,
        detail TEXT NOT NULL DEFAULT '', bytes INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS deliveries_by_channel ON deliveries (channel, id);
    CREATE TABLE IF NOT EXISTS buckets (channel TEXT PRIMARY KEY, tokens REAL NOT NULL, at REAL NOT NULL);
    """,
], [])
OUTCOMES = ("sent", "failed", "deferred", "dropped", "refused")
LOG_COLUMNS = ["id", "at", "channel", "kind", "key", "outcome", "attempts", "detail", "bytes"]


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


class NotifyStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = stores.open(self.path)
        self.db.migrate(SCHEMA)

    def announced(self, channel: str) -> dict[str, dict]:
        """key → the state last announced on this channel."""
        with self.db.connection() as con:
            return {k: json.loads(s) for k, s in
                    con.execute("SELECT key, state FROM announced WHERE channel = ?", [channel])}

    def mark(self, channel: str, key: str, kind: str, state: dict) -> None:
        with self.db.transaction() as con:
            con.execute("INSERT OR REPLACE INTO announced VALUES (?, ?, ?, ?, ?)",
                        [channel, key, kind, json.dumps(state, ensure_ascii=False, sort_keys=True), _now()])

    def log(self, channel: str, kind: str, key: str, outcome: str, attempts: int = 0, detail: str = "",
            size: int = 0) -> None:
        assert outcome in OUTCOMES, outcome
        with self.db.transaction() as con:
            con.execute("INSERT INTO deliveries (at, channel, kind, key, outcome, attempts, detail, bytes) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [_now(), channel, kind, key, outcome, attempts, detail[:300], size])

    def deliveries(self, channel: str | None = None, limit: int = 50) -> pd.DataFrame:
        """The latest deliveries, newest first (all channels, or one)."""
        where, params = ("WHERE channel = ?", [channel]) if channel else ("", [])
        with self.db.connection() as con:
            rows = con.execute(f"SELECT {', '.join(LOG_COLUMNS)} FROM deliveries {where} "
                               "ORDER BY id DESC LIMIT ?", [*params, int(limit)]).fetchall()
        return pd.DataFrame(rows, columns=LOG_COLUMNS)

    def take(self, channel: str, per_minute: float, now: float | None = None) -> bool:
        """Take one token from the channel's bucket (capacity `per_minute`, refilled at
        per_minute / 60 a second); False when it is empty. Read and write in one transaction, so
        two runs at once cannot both take the last token."""
        now = time.time() if now is None else now
        with self.db.transaction() as con:
            row = con.execute("SELECT tokens, at FROM buckets WHERE channel = ?", [channel]).fetchone()
            tokens = per_minute if row is None else min(per_minute, row[0] + max(0.0, now - row[1]) * per_minute / 60)
            taken = tokens >= 1
            con.execute("INSERT OR REPLACE INTO buckets VALUES (?, ?, ?)",
                        [channel, tokens - 1 if taken else tokens, now])
        return taken
