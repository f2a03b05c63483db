"""Server-side sessions, in the account store's file: the browser's cookie carries only a random
token, and a request is signed in only while the store holds that token's session.

So signing out ends the session for every copy of the cookie; disabling an account, resetting
or changing its password deletes all its sessions in the same transaction (AccountStore); and a
session ends after an idle time *and* after an absolute lifetime from sign-in, however often
its pages poll. The store keeps a hash of each token, never the token itself: a copy of the
file (or of the database) opens no session. With the store in PostgreSQL (COCKPIT_DATABASE_URL)
every web server sees the same sessions: signing out on one ends the session on all."""
from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cockpit.stores import Connection, Database

# last_seen is written at most this often per session: a page polling every few seconds costs
# no write per request; the idle limit is kept to within this many seconds
TOUCH_SECONDS = 30

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL, started REAL NOT NULL, last_seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_account ON sessions (account_id);
"""
PG_SCHEMA = """
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL,
    started DOUBLE PRECISION NOT NULL, last_seen DOUBLE PRECISION NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account_id);
"""


@dataclass(frozen=True)
class Lifetime:
    idle_seconds: float
    absolute_seconds: float


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    """Sessions of the accounts in one store (its database)."""

    def __init__(self, db: Database):
        self.db = db

    def start(self, account_id: str, lifetime: Lifetime, now: float | None = None) -> str:
        """A new session for the account; returns its token (for the cookie only)."""
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(32)
        with self.db.transaction() as con:
            self._forget_expired(con, lifetime, now)
            con.execute("INSERT INTO sessions (token_hash, account_id, started, last_seen) "
                        "VALUES (?, ?, ?, ?)", (_hash(token), account_id, now, now))
        return token

    def account_of(self, token, lifetime: Lifetime, now: float | None = None,
                   con: Connection | None = None) -> str | None:
        """The account whose live session the token names, or None (unknown, ended, expired: an
        expired session is deleted). Marks the session as seen. `con`: the caller's connection
        to the store (one per request), else one of its own."""
        if not isinstance(token, str) or not token:
            return None
        now = time.time() if now is None else now
        key = _hash(token)
        with self._connection(con) as con:
            row = con.execute("SELECT account_id, started, last_seen FROM sessions WHERE token_hash = ?",
                              (key,)).fetchone()
            if row is None:
                return None
            account_id, started, last_seen = row
            if now - started >= lifetime.absolute_seconds or now - last_seen >= lifetime.idle_seconds:
                con.execute("DELETE FROM sessions WHERE token_hash = ?", (key,))
                return None
            if now - last_seen >= TOUCH_SECONDS:
                con.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (now, key))
            return account_id

    @contextmanager
    def _connection(self, con: Connection | None) -> Iterator[Connection]:
        """The caller's connection, or one of the store's for this call."""
        if con is not None:
            yield con
        else:
            with self.db.connection() as own:
                yield own

    def end(self, token) -> None:
        if isinstance(token, str) and token:
            with self.db.connection() as con:
                con.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(token),))

    @staticmethod
    def end_all(con: Connection, account_id: str) -> None:
        """Every session of the account, inside the caller's transaction."""
        con.execute("DELETE FROM sessions WHERE account_id = ?", (account_id,))

    @staticmethod
    def _forget_expired(con: Connection, lifetime: Lifetime, now: float) -> None:
        con.execute("DELETE FROM sessions WHERE started <= ? OR last_seen <= ?",
                    (now - lifetime.absolute_seconds, now - lifetime.idle_seconds))
