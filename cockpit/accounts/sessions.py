"""Server-side sessions, in the account store's file: the browser's cookie carries only a random
token, and a request is signed in only while the store holds that token's session.

So signing out ends the session for every copy of the cookie; disabling an account, resetting
or changing its password deletes all its sessions in the same transaction (AccountStore); and a
session ends after an idle time *and* after an absolute lifetime from sign-in, however often
its pages poll. The store keeps a hash of each token, never the token itself: a copy of the
file (or of the database) opens no session. With the store in PostgreSQL (COCKPIT_DATABASE_URL)
every web server sees the same sessions: signing out on one ends the session on all.

How long a session lives depends on its account's kind, decided in one place (`lifetime`): a
person's ends after the idle limit and a working day; a wall screen's (kind `kiosk`) lasts days,
since it must stay on through nights and publishes with nobody at it, and in exchange answers
only at the client address it signed in from (behind a proxy, the address the proxy vouches
for: cockpit/ops/proxy.py), so its cookie copied to another machine opens nothing."""
from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cockpit.accounts import KINDS
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
# the client address a session signed in from: a later schema step on both backends ('' for
# older sessions)
ADDRESS = "ALTER TABLE sessions ADD COLUMN address TEXT NOT NULL DEFAULT '';"
ID_CHARS = 12          # a session's id for administrators: the start of its token's hash


@dataclass(frozen=True)
class Lifetime:
    idle_seconds: float
    absolute_seconds: float
    pinned: bool = False           # answers only at the address it signed in from


# an account's kind (None: unknown) → its sessions' lifetime; a Lifetime: the same for every kind
LifetimeOf = Callable[[str | None], Lifetime] | Lifetime


def lifetime(kind: str | None, settings) -> Lifetime:
    """The one rule for how long an account's sessions live, by the account's kind."""
    if kind == "kiosk":
        return Lifetime(settings.kiosk_idle_hours * 3600, settings.kiosk_session_days * 86400, pinned=True)
    return Lifetime(settings.session_idle_minutes * 60, settings.session_hours * 3600)


def longest(settings) -> float:
    """The longest a session of any kind may last, in seconds (the cookie's own lifetime)."""
    return max(lifetime(kind, settings).absolute_seconds for kind in set(KINDS.values()))


@dataclass(frozen=True)
class Session:
    """A live session, as an administrator lists it."""
    session_id: str
    account_id: str
    role: str
    started: float
    last_seen: float
    address: str
    ends: float                    # when it will end unless used (idle) or at the latest


def _rule(lifetime_of: LifetimeOf, role: str | None) -> Lifetime:
    return lifetime_of if isinstance(lifetime_of, Lifetime) else lifetime_of(KINDS.get(role))


def _expired(lifetime: Lifetime, started: float, last_seen: float, now: float) -> bool:
    return now - started >= lifetime.absolute_seconds or now - last_seen >= lifetime.idle_seconds


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    """Sessions of the accounts in one store (its database)."""

    def __init__(self, db: Database):
        self.db = db

    def start(self, account_id: str, lifetime_of: LifetimeOf, now: float | None = None, address: str = "") -> str:
        """A new session for the account, signed in from `address`; returns its token (for the
        cookie only)."""
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(32)
        with self.db.transaction() as con:
            self._forget_expired(con, lifetime_of, now)
            con.execute("INSERT INTO sessions (token_hash, account_id, started, last_seen, address) "
                        "VALUES (?, ?, ?, ?, ?)", (_hash(token), account_id, now, now, address))
        return token

    def account_of(self, token, lifetime_of: LifetimeOf, now: float | None = None,
                   con: Connection | None = None, address: str = "") -> str | None:
        """The account whose live session the token names, asked from `address`, or None
        (unknown, ended, expired: an expired session is deleted; a pinned session asked from
        elsewhere: refused, and kept for its own screen). Marks the session as seen. `con`: the
        caller's connection to the store (one per request), else one of its own."""
        if not isinstance(token, str) or not token:
            return None
        now = time.time() if now is None else now
        key = _hash(token)
        with self._connection(con) as con:
            row = con.execute(_SESSIONS + " WHERE s.token_hash = ?", (key,)).fetchone()
            if row is None:
                return None
            _, account_id, started, last_seen, pinned_to, role = row
            rule = _rule(lifetime_of, role)
            if _expired(rule, started, last_seen, now):
                con.execute("DELETE FROM sessions WHERE token_hash = ?", (key,))
                return None
            if rule.pinned and (not pinned_to or address != pinned_to):
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

    def live(self, lifetime_of: LifetimeOf, now: float | None = None) -> list[Session]:
        """Every live session, oldest first (for administrators: who is signed in, where)."""
        now = time.time() if now is None else now
        with self.db.connection() as con:
            rows = con.execute(_SESSIONS + " ORDER BY s.started").fetchall()
        out = []
        for key, account_id, started, last_seen, address, role in rows:
            rule = _rule(lifetime_of, role)
            if not _expired(rule, started, last_seen, now):
                out.append(Session(key[:ID_CHARS], account_id, role or "", started, last_seen, address,
                                   min(started + rule.absolute_seconds, last_seen + rule.idle_seconds)))
        return out

    def end_by_id(self, session_id: str) -> int:
        """The session an administrator names by its listed id (or a longer prefix of its
        hash); returns how many ended (0 or 1: an id matching several ends none)."""
        if not (len(session_id) >= ID_CHARS and all(c in "0123456789abcdef" for c in session_id)):
            return 0
        with self.db.transaction() as con:
            # hex only (checked above): nothing in the pattern but the prefix and its wildcard
            found = con.execute("SELECT token_hash FROM sessions WHERE token_hash LIKE ?",
                                (session_id + "%",)).fetchall()
            if len(found) != 1:
                return 0
            con.execute("DELETE FROM sessions WHERE token_hash = ?", (found[0][0],))
            return 1

    def end_of(self, account_id: str) -> int:
        """Every session of the account (e.g. a wall screen taken down); returns how many."""
        with self.db.transaction() as con:
            return self.end_all(con, account_id)

    @staticmethod
    def end_all(con: Connection, account_id: str) -> int:
        """Every session of the account, inside the caller's transaction; returns how many."""
        return con.execute("DELETE FROM sessions WHERE account_id = ?", (account_id,)).rowcount

    @staticmethod
    def _forget_expired(con: Connection, lifetime_of: LifetimeOf, now: float) -> None:
        for key, _, started, last_seen, _, role in con.execute(_SESSIONS).fetchall():
            if _expired(_rule(lifetime_of, role), started, last_seen, now):
                con.execute("DELETE FROM sessions WHERE token_hash = ?", (key,))


# a session with its account's role (NULL: the account is gone), for the role's lifetime
_SESSIONS = ("SELECT s.token_hash, s.account_id, s.started, s.last_seen, s.address, a.role "
             "FROM sessions s LEFT JOIN accounts a ON a.account_id = s.account_id")
