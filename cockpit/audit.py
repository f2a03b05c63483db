"""The audit log: append-only, in its own SQLite file outside the swapped warehouse.

Triggers refuse every UPDATE, and every DELETE of a record younger than the retention period,
so neither a bug nor the web process can rewrite history; `purge()` removes only what the
retention setting has released."""
from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd

ACTIONS = {"login": "登录成功", "login_failed": "登录失败", "logout": "退出", "page_view": "访问页面",
           "export": "导出", "unmask": "查看完整信息", "denied": "拒绝访问",
           "warning_label": "预警研判标记"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, account TEXT NOT NULL, address TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS retention (days INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_keep BEFORE DELETE ON audit
WHEN old.at >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-' || (SELECT days FROM retention) || ' days')
BEGIN SELECT RAISE(ABORT, 'audit records are kept for the retention period'); END;
CREATE TRIGGER IF NOT EXISTS retention_no_shorter BEFORE UPDATE ON retention
WHEN new.days < old.days BEGIN SELECT RAISE(ABORT, 'retention can only grow here'); END;
"""


class AuditLog:
    def __init__(self, path: Path, retention_days: int = 180):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as con, con:
            con.executescript(SCHEMA)
            if con.execute("SELECT count(*) FROM retention").fetchone()[0] == 0:
                con.execute("INSERT INTO retention VALUES (?)", (retention_days,))
            elif retention_days > self.retention_days_of(con):
                con.execute("UPDATE retention SET days = ?", (retention_days,))

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        return con

    @staticmethod
    def retention_days_of(con) -> int:
        return con.execute("SELECT days FROM retention").fetchone()[0]

    @property
    def retention_days(self) -> int:
        with closing(self._connect()) as con:
            return self.retention_days_of(con)

    def record(self, account: str, address: str, action: str, target: str = "", detail: str = "") -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        at = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        with closing(self._connect()) as con, con:
            con.execute("INSERT INTO audit (at, account, address, action, target, detail) "
                        "VALUES (?, ?, ?, ?, ?, ?)", (at, account, address, action, target[:200], detail[:500]))

    def count_since(self, account: str, action: str, since: dt.datetime) -> int:
        """How many `action` records `account` has left since `since` (an aware datetime)."""
        at = since.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        with closing(self._connect()) as con:
            return con.execute("SELECT count(*) FROM audit WHERE account = ? AND action = ? AND at >= ?",
                               (account, action, at)).fetchone()[0]

    def recent(self, limit: int = 500, action: str | None = None, account: str | None = None) -> pd.DataFrame:
        where, params = [], []
        if action in ACTIONS:
            where.append("action = ?")
            params.append(action)
        if account:
            where.append("account = ?")
            params.append(account)
        sql = ("SELECT id, at, account, address, action, target, detail FROM audit"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC LIMIT ?")
        with closing(self._connect()) as con:
            return pd.read_sql_query(sql, con, params=[*params, int(limit)])

    def purge(self) -> int:
        """Delete what the retention period has released; returns how many records went."""
        with closing(self._connect()) as con, con:
            cur = con.execute("DELETE FROM audit WHERE at < strftime('%Y-%m-%dT%H:%M:%S', 'now', "
                              "'-' || (SELECT days FROM retention) || ' days')")
            return cur.rowcount
