"""The account store: a small SQLite file beside (never inside) the swapped warehouse.

Sign-in failures count per account and per client address: five wrong passwords in a row lock
the account for LOCK_MINUTES; twenty failures from one address within that time refuse further
attempts from it. A password reset or a disabled account ends existing sessions (the session
carries the password's stamp and is checked on every request)."""
from __future__ import annotations

import csv
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from cockpit.accounts import KINDS, STATUSES, Account, check_role_and_area
from cockpit.accounts.passwords import hash_password, random_password, verify_password

MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 20
LOCK_MINUTES = 15

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY, role TEXT NOT NULL, area TEXT NOT NULL, holder TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '正常', password_hash TEXT, password_stamp REAL NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS failures (address TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_by_address ON failures (address, at);
"""


@dataclass(frozen=True)
class SignIn:
    account: Account | None
    stamp: float = 0.0
    refused: str = ""             # why not, in Chinese, for the login page


class AccountStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as con, con:
            con.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        return con

    # -- administration ---------------------------------------------------------------
    def add(self, account_id: str, role: str, area: str, password: str | None, holder: str = "",
            status: str = "正常") -> None:
        check_role_and_area(role, area)
        if status not in STATUSES:
            raise ValueError(f"账号状态须为 {'、'.join(STATUSES)}")
        with closing(self._connect()) as con, con:
            con.execute("INSERT INTO accounts (account_id, role, area, holder, status, password_hash, "
                        "password_stamp) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (account_id, role, area, holder, status,
                         hash_password(password) if password else None, time.time()))

    def set_password(self, account_id: str, password: str) -> None:
        self._update(account_id, "password_hash = ?, password_stamp = ?, failures = 0, locked_until = 0",
                     hash_password(password), time.time())

    def reset(self, account_id: str) -> str:
        """A new random password (returned once, to hand over), and the account unlocked."""
        password = random_password()
        self.set_password(account_id, password)
        self._update(account_id, "status = '正常'")
        return password

    def set_status(self, account_id: str, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"账号状态须为 {'、'.join(STATUSES)}")
        # a status change also ends the account's sessions
        self._update(account_id, "status = ?, password_stamp = ?, failures = 0, locked_until = 0",
                     status, time.time())

    def import_csv(self, path: Path) -> tuple[int, int]:
        """The platform's accounts.csv (data contract): new accounts are added without a password
        (they cannot sign in until `reset`); existing ones keep theirs. Returns (added, kept)."""
        added = kept = 0
        with open(path, encoding="utf-8-sig", newline="") as f, closing(self._connect()) as con, con:
            for row in csv.DictReader(f):
                role, area = row["角色"].strip(), row["所属区域"].strip()
                check_role_and_area(role, area)
                name = row["使用人"].strip()
                cur = con.execute(
                    "INSERT OR IGNORE INTO accounts (account_id, role, area, holder, status) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (row["账号编号"].strip(), role, area, name[:1] + "*" * (len(name) - 1),
                     row["账号状态"].strip() if row["账号状态"].strip() in STATUSES else "停用"))
                added += cur.rowcount
                kept += 1 - cur.rowcount
        return added, kept

    def _update(self, account_id: str, assignments: str, *params) -> None:
        with closing(self._connect()) as con, con:
            cur = con.execute(f"UPDATE accounts SET {assignments} WHERE account_id = ?",
                              (*params, account_id))
            if cur.rowcount == 0:
                raise KeyError(f"账号不存在：{account_id}")

    # -- reading ----------------------------------------------------------------------
    def get(self, account_id: str) -> tuple[Account, float] | None:
        """The account and its password stamp, if it exists and may sign in."""
        with closing(self._connect()) as con:
            row = con.execute("SELECT account_id, role, area, holder, status, password_stamp FROM accounts "
                              "WHERE account_id = ?", (account_id,)).fetchone()
        if row is None or row[1] not in KINDS:
            return None
        return Account(*row[:5]), row[5]

    def list(self) -> list[tuple]:
        with closing(self._connect()) as con:
            return con.execute("SELECT account_id, role, area, holder, status, password_hash IS NOT NULL, "
                               "failures, locked_until FROM accounts ORDER BY account_id").fetchall()

    # -- signing in -------------------------------------------------------------------
    def sign_in(self, account_id: str, password: str, address: str, now: float | None = None) -> SignIn:
        now = time.time() if now is None else now
        window = now - LOCK_MINUTES * 60
        with closing(self._connect()) as con, con:
            con.execute("DELETE FROM failures WHERE at < ?", (window,))
            recent = con.execute("SELECT count(*) FROM failures WHERE address = ? AND at >= ?",
                                 (address, window)).fetchone()[0]
            if recent >= MAX_FAILURES_PER_ADDRESS:
                return SignIn(None, refused=f"登录失败次数过多，请 {LOCK_MINUTES} 分钟后再试")
            row = con.execute("SELECT role, area, holder, status, password_hash, password_stamp, failures, "
                              "locked_until FROM accounts WHERE account_id = ?", (account_id,)).fetchone()
            if row is not None and row[7] > now:
                return SignIn(None, refused=f"账号已锁定，请 {LOCK_MINUTES} 分钟后再试或联系管理员")
            # a hash is computed even for unknown accounts: the answer's timing tells nothing
            ok = verify_password(password, row[4] if row else _DUMMY_HASH) and row is not None
            if ok and row[3] == "正常" and row[0] in KINDS:
                con.execute("UPDATE accounts SET failures = 0, locked_until = 0 WHERE account_id = ?",
                            (account_id,))
                return SignIn(Account(account_id, row[0], row[1], row[2], row[3]), row[5])
            con.execute("INSERT INTO failures (address, at) VALUES (?, ?)", (address, now))
            if row is not None and not ok:
                failures = row[6] + 1
                locked = now + LOCK_MINUTES * 60 if failures >= MAX_FAILURES else 0
                con.execute("UPDATE accounts SET failures = ?, locked_until = ? WHERE account_id = ?",
                            (0 if locked else failures, locked, account_id))
                if locked:
                    return SignIn(None, refused=f"密码连续错误 {MAX_FAILURES} 次，账号锁定 {LOCK_MINUTES} 分钟")
            if ok:                    # right password, but the account is disabled
                return SignIn(None, refused="账号已停用，请联系管理员")
            return SignIn(None, refused="账号或密码错误")


_DUMMY_HASH = hash_password(random_password())
