"""Server-side sessions, in the account store's file: the browser's cookie carries only a random
token, and a request is signed in only while the store holds that token's session.

So signing out ends the session for every copy of the cookie; disabling an account, resetting
or changing its password deletes all its sessions in the same transaction (AccountStore); and a
session ends after an idle time *and* after an absolute lifetime from sign-in, however often
its pages poll. The store keeps a hash of each token, never the token itself: a copy of the
file opens no session."""
from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass

from cockpit.stores import transaction

# last_seen is written at most this often per session: a page polling every few seconds costs
# no write per request; the idle limit is kept to within this many seconds
TOUCH_SECONDS = 30

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL, started REAL NOT NULL, last_seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_account ON sessions (account_id);
"""


@dataclass(frozen=True)
class Lifetime:
    idle_seconds: float
    absolute_seconds: float


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    """Sessions of the accounts in one store; `connect` opens that store's file."""

    def __init__(self, connect):
        self._connect = connect

    def start(self, account_id: str, lifetime: Lifetime, now: float | None = None) -> str:
        """A new session for the account; returns its token (for the cookie only)."""
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(32)
        con = self._connect()
        try:
            with transaction(con):
                self._forget_expired(con, lifetime, now)
                con.execute("INSERT INTO sessions (token_hash, account_id, started, last_seen) "
                            "VALUES (?, ?, ?, ?)", (_hash(token), account_id, now, now))
        finally:
            con.close()
        return token

    def account_of(self, token, lifetime: Lifetime, now: float | None = None,
                   con: sqlite3.Connection | None = None) -> str | None:
        """The account whose live session the token names, or None (unknown, ended, expired: an
        expired session is deleted). Marks the session as seen. `con`: the caller's connection
        to the store (one per request), else one of its own."""
        if not isinstance(token, str) or not token:
            return None
        now = time.time() if now is None else now
        key = _hash(token)
        own = con is None
        con = self._connect() if own else con
        try:
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
        finally:
            if own:
                con.close()

    def end(self, token) -> None:
        if isinstance(token, str) and token:
            con = self._connect()
            try:
                con.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(token),))
            finally:
                con.close()

    @staticmethod
    def end_all(con: sqlite3.Connection, account_id: str) -> None:
        """Every session of the account, inside the caller's transaction."""
        con.execute("DELETE FROM sessions WHERE account_id = ?", (account_id,))

    @staticmethod
    def _forget_expired(con: sqlite3.Connection, lifetime: Lifetime, now: float) -> None:
        con.execute("DELETE FROM sessions WHERE started <= ? OR last_seen <= ?",
                    (now - lifetime.absolute_seconds, now - lifetime.idle_seconds))
