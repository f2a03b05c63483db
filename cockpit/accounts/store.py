"""The account store: the accounts, the recent sign-in failures and the server-side sessions
(sessions.py), in a small SQLite file beside (never inside) the swapped warehouse, or in the
PostgreSQL database every web server shares (COCKPIT_DATABASE_URL; cockpit/stores).

Sign-in failures count per account and per client address: five wrong passwords in a row lock
the account for LOCK_MINUTES; twenty failures from one address within that time refuse further
attempts from it. Every refusal that could tell whether an account exists (unknown name, wrong
password, locked or disabled account) gives the same answer after the same work: one password
hash. A password change or reset and a status change end the account's sessions. A hash written
before werkzeug's format is rewritten at the account's next right sign-in (passwords.py)."""
from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

from cockpit import stores
from cockpit.accounts import KINDS, STATUSES, Account, check_role_and_area
from cockpit.accounts.passwords import hash_password, outdated, random_password, verify_password
from cockpit.accounts.sessions import (
    ADDRESS as SESSION_ADDRESS,
    PG_SCHEMA as PG_SESSIONS,
    SCHEMA as SESSIONS_SCHEMA,
    LifetimeOf,
    SessionStore,
)

MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 20
LOCK_MINUTES = 15
# the one answer to a refused sign-in, whatever the reason (unknown, wrong, locked, disabled)
REFUSED = f"账号或密码错误，或账号已锁定、停用（密码连续错误 {MAX_FAILURES} 次锁定 {LOCK_MINUTES} 分钟）"
THROTTLED = f"本机登录失败次数过多，请 {LOCK_MINUTES} 分钟后再试"

# SQLite's schema steps (cockpit/stores): 1 is the schema of the releases before versions
STEPS = [
    """
    CREATE TABLE IF NOT EXISTS accounts (
        account_id TEXT PRIMARY KEY, role TEXT NOT NULL, area TEXT NOT NULL, holder TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT '正常', password_hash TEXT, password_stamp REAL NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS failures (address TEXT NOT NULL, at REAL NOT NULL);
    CREATE INDEX IF NOT EXISTS failures_by_address ON failures (address, at);
    """,
    # server-side sessions replace the password stamp a signed cookie carried
    SESSIONS_SCHEMA + "ALTER TABLE accounts DROP COLUMN password_stamp;",
    # each session keeps the address it signed in from (a wall screen's is pinned to it)
    SESSION_ADDRESS,
]
# PostgreSQL's, from this release's schema (times are seconds since the epoch, as in SQLite)
PG_STEPS = [
    """
    CREATE TABLE accounts (
        account_id TEXT PRIMARY KEY, role TEXT NOT NULL, area TEXT NOT NULL, holder TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT '正常', password_hash TEXT,
        failures INTEGER NOT NULL DEFAULT 0, locked_until DOUBLE PRECISION NOT NULL DEFAULT 0
    );
    CREATE TABLE failures (address TEXT NOT NULL, at DOUBLE PRECISION NOT NULL);
    CREATE INDEX failures_by_address ON failures (address, at);
    """ + PG_SESSIONS,
    # each session keeps the address it signed in from (a wall screen's is pinned to it)
    SESSION_ADDRESS,
]
SCHEMA = stores.Schema("accounts", STEPS, PG_STEPS, rights={
    "accounts": "SELECT, INSERT, UPDATE", "failures": "SELECT, INSERT, DELETE",
    "sessions": "SELECT, INSERT, UPDATE, DELETE"})


@dataclass(frozen=True)
class SignIn:
    account: Account | None
    refused: str = ""             # why not, in Chinese, for the login page


class AccountStore:
    def __init__(self, where: Path | str | stores.Database):
        """`where`: a SQLite file, or a postgresql:// URL (cockpit.stores.open)."""
        self.db = stores.open(where)
        self.db.migrate(SCHEMA)
        self.sessions = SessionStore(self.db)

    # -- administration ---------------------------------------------------------------
    def add(self, account_id: str, role: str, area: str, password: str | None, holder: str = "",
            status: str = "正常") -> None:
        check_role_and_area(role, area)
        if status not in STATUSES:
            raise ValueError(f"账号状态须为 {'、'.join(STATUSES)}")
        with self.db.transaction() as con:
            con.execute("INSERT INTO accounts (account_id, role, area, holder, status, password_hash) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (account_id, role, area, holder, status, hash_password(password) if password else None))

    def set_password(self, account_id: str, password: str) -> None:
        """A new password; the account's sessions end (everywhere it is signed in)."""
        self._update(account_id, "password_hash = ?, failures = 0, locked_until = 0", hash_password(password))

    def reset(self, account_id: str) -> str:
        """A new random password (returned once, to hand over), the account unlocked and enabled."""
        password = random_password()
        self._update(account_id, "password_hash = ?, status = '正常', failures = 0, locked_until = 0",
                     hash_password(password))
        return password

    def set_status(self, account_id: str, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"账号状态须为 {'、'.join(STATUSES)}")
        self._update(account_id, "status = ?, failures = 0, locked_until = 0", status)

    def import_csv(self, path: Path) -> tuple[int, int]:
        """The platform's accounts.csv (data contract): new accounts are added without a password
        (they cannot sign in until `reset`); existing ones keep theirs. Returns (added, kept)."""
        added = kept = 0
        with open(path, encoding="utf-8-sig", newline="") as f, self.db.transaction() as con:
            for row in csv.DictReader(f):
                role, area = row["角色"].strip(), row["所属区域"].strip()
                check_role_and_area(role, area)
                name = row["使用人"].strip()
                cur = con.execute(
                    "INSERT INTO accounts (account_id, role, area, holder, status) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id) DO NOTHING",
                    (row["账号编号"].strip(), role, area, name[:1] + "*" * (len(name) - 1),
                     row["账号状态"].strip() if row["账号状态"].strip() in STATUSES else "停用"))
                added += cur.rowcount
                kept += 1 - cur.rowcount
        return added, kept

    def _update(self, account_id: str, assignments: str, *params) -> None:
        """Change an account and end its sessions, in one transaction."""
        with self.db.transaction() as con:
            cur = con.execute(f"UPDATE accounts SET {assignments} WHERE account_id = ?", (*params, account_id))
            if cur.rowcount == 0:
                raise KeyError(f"账号不存在：{account_id}")
            SessionStore.end_all(con, account_id)

    # -- reading ----------------------------------------------------------------------
    def get(self, account_id: str) -> Account | None:
        """The account, if it exists with a role this release knows (whatever its status)."""
        with self.db.connection() as con:
            return self._get(con, account_id)

    def signed_in(self, token, lifetime_of: LifetimeOf, address: str = "") -> Account | None:
        """The account of a live session (sessions.py) that may sign in now, asked from
        `address`, or None: what every request asks, on one connection."""
        with self.db.connection() as con:
            account_id = self.sessions.account_of(token, lifetime_of, con=con, address=address)
            account = self._get(con, account_id) if account_id else None
        return account if account is not None and account.status == "正常" else None

    @staticmethod
    def _get(con, account_id: str) -> Account | None:
        row = con.execute("SELECT account_id, role, area, holder, status FROM accounts "
                          "WHERE account_id = ?", (account_id,)).fetchone()
        if row is None or row[1] not in KINDS:
            return None
        return Account(*row)

    def list(self) -> list[tuple]:
        with self.db.connection() as con:
            return con.execute("SELECT account_id, role, area, holder, status, "
                               "CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END, "
                               "failures, locked_until FROM accounts ORDER BY account_id").fetchall()

    # -- signing in -------------------------------------------------------------------
    def sign_in(self, account_id: str, password: str, address: str, now: float | None = None) -> SignIn:
        """The account, or the one refusal. Exactly one password hash is computed whatever the
        case, so neither the answer nor its time tells whether the name exists or is locked."""
        now = time.time() if now is None else now
        window = now - LOCK_MINUTES * 60
        with self.db.transaction() as con:
            # the address's count and the account's failures are read, then written: one
            # sign-in at a time per address and per account (a burst cannot pass the count)
            con.lock(f"sign-in address {address}")
            con.lock(f"sign-in account {account_id}")
            con.execute("DELETE FROM failures WHERE at < ?", (window,))
            throttled = con.execute("SELECT count(*) FROM failures WHERE address = ? AND at >= ?",
                                    (address, window)).fetchone()[0] >= MAX_FAILURES_PER_ADDRESS
            row = con.execute("SELECT role, area, holder, status, password_hash, failures, locked_until "
                              "FROM accounts WHERE account_id = ?", (account_id,)).fetchone()
            stored = row[4] if row is not None and row[4] else _DUMMY_HASH
            right = verify_password(password, stored) and stored is not _DUMMY_HASH
            if throttled:
                return SignIn(None, THROTTLED)
            locked = row is not None and row[6] > now
            if right and not locked and row[3] == "正常" and row[0] in KINDS:
                con.execute("UPDATE accounts SET failures = 0, locked_until = 0 WHERE account_id = ?",
                            (account_id,))
                if outdated(stored):      # an older format or cost, replaced now the password is known
                    # (the sessions stay: the password did not change; nor if it changed meanwhile)
                    con.execute("UPDATE accounts SET password_hash = ? WHERE account_id = ? AND password_hash = ?",
                                (hash_password(password), account_id, stored))
                return SignIn(Account(account_id, *row[:4]))
            con.execute("INSERT INTO failures (address, at) VALUES (?, ?)", (address, now))
            if row is not None and not right and not locked:
                failures = row[5] + 1
                lock = failures >= MAX_FAILURES
                con.execute("UPDATE accounts SET failures = ?, locked_until = ? WHERE account_id = ?",
                            (0 if lock else failures, now + LOCK_MINUTES * 60 if lock else 0, account_id))
            return SignIn(None, REFUSED)


_DUMMY_HASH = hash_password(random_password())
