"""The open API's client tokens: a small SQLite store of its own (COCKPIT_API_TOKENS, listed in
warehouse/state.py, so it is backed up), beside the account store, never inside a generation; or
a table in the PostgreSQL database every web server shares (COCKPIT_DATABASE_URL).

A token is shown once, when it is made, and stored only as its SHA-256: it is 256 random bits,
so a fast hash is enough (nothing to guess from it) and a stolen store opens nothing. Each token
has a name (the client system), an area code (its jurisdiction, as an account's) and optionally
a department (then it sees only the events assigned to that department, like a department
account), an expiry, and once revoked it stays revoked (the row is kept: who had access when).

The SQLite file is created by the first `token add`: a centre that never issues a token has none,
and the web server only reads it (a missing file: no token is valid)."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cockpit import stores
from cockpit.scope import Scope

PREFIX = "gct_"                 # 网格治理 cockpit token: recognisable in a leaked file or a URL
DEFAULT_DAYS = 365
MAX_DAYS = 3650
USED_EVERY = 60                 # seconds between writes of a token's last use

TABLE = """
CREATE TABLE tokens (
    name TEXT PRIMARY KEY, area TEXT NOT NULL, department TEXT NOT NULL DEFAULT '',
    token_hash TEXT NOT NULL UNIQUE, hint TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT, last_used_at TEXT
);
"""
SCHEMA = stores.Schema("api_tokens", [TABLE], [TABLE], rights={"tokens": "SELECT, INSERT, UPDATE"})
SCHEMA_VERSION = len(SCHEMA.sqlite)


@dataclass(frozen=True)
class ApiToken:
    name: str
    area: str
    department: str = ""

    @property
    def scope(self) -> Scope:
        """The jurisdiction every query of this client runs in (cockpit.queries.run)."""
        return Scope(self.area, self.area, self.department)


@dataclass(frozen=True)
class Verdict:
    token: ApiToken | None
    refused: str = ""           # why not, in Chinese, for the client and the audit log


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not (1 <= len(name) <= 64) or not all(c.isprintable() and not c.isspace() for c in name):
        raise ValueError(f"令牌名称须为 1–64 个字符，不含空白：{name!r}")
    return name


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _text(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class TokenStore:
    def __init__(self, where: Path | str | stores.Database):
        """`where`: a SQLite file, or a postgresql:// URL (cockpit.stores.open). Nothing is
        created until a token is made or the store is there."""
        self.db = stores.open(where)
        self._used: dict[str, float] = {}
        self._lock = threading.Lock()

    def _ready_or_absent(self, create: bool = False) -> bool:
        """Whether the store is there (its schema brought up to this release's, once per
        process); a SQLite file that does not exist yet is created only when `create`."""
        try:
            return self.db.ready(SCHEMA, create)
        except RuntimeError as e:
            raise RuntimeError(f"令牌库 {self.db.label}：{e}") from e

    # -- administration (python -m cockpit.accounts token …) ------------------------------
    def add(self, name: str, area: str, department: str = "", days: int = DEFAULT_DAYS) -> str:
        """A new token for `name`; returns it (the only time it exists outside the client)."""
        name = check_name(name)
        Scope(area, area, department)                       # a valid area code, or ValueError
        department = (department or "").strip()
        if len(department) > 64:
            raise ValueError("部门名称过长")
        if not (1 <= int(days) <= MAX_DAYS):
            raise ValueError(f"有效期须为 1–{MAX_DAYS} 天")
        token = PREFIX + secrets.token_urlsafe(32)
        now = _now()
        self._ready_or_absent(create=True)
        with self.db.transaction() as con:
            con.lock(f"api token {name}")
            if con.execute("SELECT 1 FROM tokens WHERE name = ?", (name,)).fetchone():
                raise ValueError(f"令牌 {name} 已存在（吊销后也保留记录），请换一个名称")
            con.execute("INSERT INTO tokens (name, area, department, token_hash, hint, created_at, expires_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (name, area, department, _hash(token), token[:len(PREFIX) + 4], _text(now),
                         _text(now + dt.timedelta(days=int(days)))))
        return token

    def revoke(self, name: str) -> None:
        if not self._ready_or_absent():
            raise KeyError(f"无此令牌：{name}")
        with self.db.connection() as con:
            found = con.execute("UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE name = ?",
                                (_text(_now()), name)).rowcount
        if not found:
            raise KeyError(f"无此令牌：{name}")

    def list(self) -> list[dict]:
        if not self._ready_or_absent():
            return []
        with self.db.connection() as con:
            return con.rows("SELECT name, area, department, hint, created_at, expires_at, revoked_at, last_used_at "
                            "FROM tokens ORDER BY name")

    # -- the web server -------------------------------------------------------------------
    def verify(self, token: str) -> Verdict:
        """The client a presented token belongs to, or why it is refused. Read on every request,
        so a revocation takes effect at once."""
        if not token.startswith(PREFIX) or len(token) > 200 or not self._ready_or_absent():
            return Verdict(None, "令牌无效")
        with self.db.connection() as con:
            row = con.execute("SELECT name, area, department, expires_at, revoked_at FROM tokens "
                              "WHERE token_hash = ?", (_hash(token),)).fetchone()
        if row is None:
            return Verdict(None, "令牌无效")
        name, area, department, expires_at, revoked_at = row
        if revoked_at is not None:
            return Verdict(None, "令牌已吊销")
        if _text(_now()) >= expires_at:
            return Verdict(None, "令牌已过期")
        self._mark_used(name)
        return Verdict(ApiToken(name, area, department))

    def _mark_used(self, name: str) -> None:
        """Record the last use at most once a minute per token (not a write per request)."""
        now = time.monotonic()
        with self._lock:
            if now - self._used.get(name, -USED_EVERY) < USED_EVERY:
                return
            self._used[name] = now
        with self.db.connection() as con:
            con.execute("UPDATE tokens SET last_used_at = ? WHERE name = ?", (_text(_now()), name))


# -- the command line: python -m cockpit.accounts token add|list|revoke -----------------------

def add_parser(sub) -> None:
    token = sub.add_parser("token", help="开放接口令牌（其他系统调用 /api/v1）").add_subparsers(
        dest="token_command", required=True)
    add = token.add_parser("add", help="新建令牌（只显示一次）")
    add.add_argument("name", help="调用方名称，如 yiwangtongguan")
    add.add_argument("--area", required=True, help="可读取的区划/网格编码（4/6/9/12/15 位）")
    add.add_argument("--department", default="", help="只读取该部门处置的事件（可选）")
    add.add_argument("--days", type=int, default=DEFAULT_DAYS, help=f"有效天数（默认 {DEFAULT_DAYS}）")
    token.add_parser("list", help="列出令牌（不含令牌本身）")
    token.add_parser("revoke", help="吊销令牌（立即生效）").add_argument("name")


def command(args, settings) -> int:
    import sys
    store = TokenStore(settings.store("api_tokens"))
    try:
        if args.token_command == "add":
            token = store.add(args.name, args.area, args.department, args.days)
            print(f"令牌 {args.name}：区域 {args.area}{'，部门 ' + args.department if args.department else ''}，"
                  f"{args.days} 天内有效。令牌只显示这一次，请经安全渠道交给对方系统：", file=sys.stderr)
            print(token)
        elif args.token_command == "revoke":
            store.revoke(args.name)
            print(f"已吊销 {args.name}", file=sys.stderr)
        else:
            for row in store.list():
                state = "已吊销" if row["revoked_at"] else ("已过期" if _text(_now()) >= row["expires_at"] else "有效")
                print("\t".join([row["name"], row["area"], row["department"] or "-", row["hint"] + "…", state,
                                 row["expires_at"], row["last_used_at"] or "-"]))
    except (ValueError, KeyError, RuntimeError) as e:
        print(f"错误：{e.args[0] if e.args else e}", file=sys.stderr)
        return 2
    return 0
