"""python -m cockpit.accounts: add, disable, enable, reset, import and list platform accounts.

    python -m cockpit.accounts add ZH000001 --role 区级管理员 --area 220204      # asks for a password
    python -m cockpit.accounts import data/demo/accounts.csv                   # no passwords yet
    python -m cockpit.accounts reset ZH000001                                  # prints a new one
    python -m cockpit.accounts disable ZH000001
    python -m cockpit.accounts demo                                            # the demo accounts (docs/operations.md)
    python -m cockpit.accounts list
    python -m cockpit.accounts add WALL01 --role 大屏终端 --area 220204         # a wall screen's account
    python -m cockpit.accounts sessions                                        # who is signed in, where, until when
    python -m cockpit.accounts sessions end WALL01                             # every session of an account
    python -m cockpit.accounts sessions end --id 3f9a0c1b2d4e                  # one session, by its listed id
    python -m cockpit.accounts token add yiwangtongguan --area 220204         # a token for another system
    python -m cockpit.accounts migrate [--grant cockpit_web]                  # every store's schema (owner)

The store is in COCKPIT_DATABASE_URL's database when that is set, else the file COCKPIT_ACCOUNTS
(default data/accounts.sqlite). `migrate` brings the account store, the audit log, the token
store and the 研判 label store up to this release's schema (the web server does it too when it
starts, if its role may); with --grant, run as the database's owner, it gives the web servers' role the rights they need
and no more (docs/operations.md, "PostgreSQL roles")."""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import getpass
import sys
from pathlib import Path

from cockpit import labels, stores
from cockpit.accounts import KINDS
from cockpit.accounts.sessions import lifetime
from cockpit.accounts.store import AccountStore
from cockpit.api import tokens
from cockpit.config import Settings

DEMO_PASSWORD = "demo-2026"
# (account, role, how its area is found in the warehouse)
DEMO = [("admin", "区级管理员", "district"), ("leader", "指挥长", "district"),
        ("analyst", "分析研判员", "district"), ("street", "街道管理员", "street"),
        ("community", "社区书记", "community"), ("grid", "专职网格员", "grid"),
        ("department", "部门处置员", "department"), ("wall", "大屏终端", "district")]


def demo_accounts(store: AccountStore, warehouse: Path) -> list[tuple[str, str, str]]:
    """The demo's accounts, one per kind of role, on the first district, street, community and
    grid of the warehouse and its busiest department; all with DEMO_PASSWORD. Existing ones stay."""
    from cockpit.db import Warehouse
    with Warehouse(warehouse).snapshot() as snap:
        first = {level: snap.query("SELECT min(code) FROM core.areas_in_force WHERE level = $level",
                                   {"level": level}).iloc[0, 0]
                 for level in ("district", "street", "community", "grid")}
        first["department"] = snap.query("SELECT department FROM core.events WHERE department IS NOT NULL "
                                         "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").iloc[0, 0]
    made = []
    for account_id, role, level in DEMO:
        if store.get(account_id) is None:
            store.add(account_id, role, first[level], DEMO_PASSWORD)
        made.append((account_id, role, first[level]))
    return made


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cockpit.accounts", description="平台账号管理")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="新增账号")
    add.add_argument("account")
    add.add_argument("--role", required=True, choices=list(KINDS))
    add.add_argument("--area", required=True, help="区划/网格编码，部门账号填部门名称")
    add.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    for name, text in (("disable", "停用账号"), ("enable", "启用（解锁）账号"), ("reset", "重置密码（打印新密码）")):
        sub.add_parser(name, help=text).add_argument("account")
    imp = sub.add_parser("import", help="导入平台账号 accounts.csv（不设密码，需逐个 reset）")
    imp.add_argument("csv", type=Path)
    sub.add_parser("demo", help="建立演示账号（密码 %s）" % DEMO_PASSWORD)
    sub.add_parser("list", help="列出账号")
    sessions = sub.add_parser("sessions", help="列出在线会话；sessions end 账号 / --id 会话编号：结束会话")
    sessions.add_argument("action", nargs="?", choices=["list", "end"], default="list")
    sessions.add_argument("account", nargs="?", help="结束该账号的全部会话")
    sessions.add_argument("--id", help="结束列表中该编号的会话")
    tokens.add_parser(sub)
    migrate = sub.add_parser("migrate", help="升级账号库、审计日志、令牌库、研判标记库的结构（PostgreSQL：以属主角色运行）")
    migrate.add_argument("--grant", metavar="ROLE", help="并授予 Web 服务器的数据库角色所需的最小权限")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "token":               # its own store (cockpit/api/tokens.py)
        return tokens.command(args, settings)
    if args.command == "migrate":
        return migrate_stores(settings, args.grant)
    store = AccountStore(settings.store("accounts"))
    try:
        if args.command == "add":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("密码：")
            if len(password) < 8:
                raise ValueError("密码至少 8 位")
            store.add(args.account, args.role, args.area, password)
        elif args.command in ("disable", "enable"):
            store.set_status(args.account, "停用" if args.command == "disable" else "正常")
        elif args.command == "reset":
            print(store.reset(args.account))
        elif args.command == "import":
            added, kept = store.import_csv(args.csv)
            print(f"新增 {added} 个账号，已存在 {kept} 个（新账号需 reset 后才能登录）")
        elif args.command == "sessions":
            return _sessions(store, args, settings)
        elif args.command == "demo":
            for account_id, role, area in demo_accounts(store, settings.warehouse):
                print(f"{account_id:<11} {role:<6} {area}  密码 {DEMO_PASSWORD}")
        else:
            for row in store.list():
                print("\t".join(str(v) for v in row))
    except (ValueError, KeyError) as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    return 0


def migrate_stores(settings, grant_to: str | None = None) -> int:
    """Every store's schema brought up to this release's (the audit log's retention set as
    configured); with `grant_to`, that role given the web servers' rights."""
    from cockpit.accounts.store import SCHEMA as ACCOUNTS
    from cockpit.audit import SCHEMA as AUDIT, AuditLog
    if grant_to and not settings.database_url:
        print("错误：--grant 只用于 PostgreSQL（COCKPIT_DATABASE_URL）", file=sys.stderr)
        return 2
    try:
        opened = [(ACCOUNTS, AccountStore(settings.store("accounts")).db),
                  (AUDIT, AuditLog(settings.store("audit"), settings.audit_retention_days).db)]
        # a SQLite file only once a token or a label is made
        for schema, db in ((tokens.SCHEMA, stores.open(settings.store("api_tokens"))),
                           (labels.SCHEMA, stores.open(settings.store("labels")))):
            if settings.database_url or db.exists():
                db.migrate(schema)
                opened.append((schema, db))
        for schema, db in opened:
            print(f"{schema.store}: {db.label}：结构已是本版本")
            if grant_to:
                db.grant(schema, grant_to)
                print(f"  已授予 {grant_to}：" + "；".join(f"{t} {r}" for t, r in schema.rights.items()))
    except RuntimeError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    return 0


def _sessions(store: AccountStore, args, settings: Settings) -> int:
    lifetime_of = functools.partial(lifetime, settings=settings)
    if args.action == "end":
        if bool(args.account) == bool(args.id):
            raise ValueError("请给出账号，或 --id 会话编号（二者之一）")
        ended = store.sessions.end_of(args.account) if args.account else store.sessions.end_by_id(args.id)
        print(f"已结束 {ended} 个会话")
        return 0 if ended else 1
    live = store.sessions.live(lifetime_of)
    print("会话编号\t账号\t角色\t登录时间\t最近请求\t登录地址\t到期（若此后无请求）")
    for s in live:
        print("\t".join([s.session_id, s.account_id, s.role, _time(s.started), _time(s.last_seen),
                         s.address or "—", _time(s.ends)]))
    print(f"共 {len(live)} 个在线会话")
    return 0


def _time(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M")


if __name__ == "__main__":
    sys.exit(main())
