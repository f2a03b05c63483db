"""python -m cockpit.audit: check the audit log's hash chain, print its head, purge what retention
released.

    python -m cockpit.audit verify               # exit 1, and where, when the chain is broken
    python -m cockpit.audit head                 # "<id>\t<hash>": keep a copy elsewhere (cron)
    python -m cockpit.audit verify --head HASH   # that exported head must still be in the chain
    python -m cockpit.audit purge

The log is in COCKPIT_DATABASE_URL's database when that is set, else the file COCKPIT_AUDIT
(default data/audit.sqlite); --audit names a file or a postgresql:// URL instead."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cockpit import stores
from cockpit.audit import AuditLog


def main(argv=None) -> int:
    from cockpit.config import Settings
    parser = argparse.ArgumentParser(prog="python -m cockpit.audit", description="审计日志：校验、链头、清理")
    parser.add_argument("--audit", help="审计日志文件或 postgresql:// 数据库 (env COCKPIT_DATABASE_URL, "
                                        "else COCKPIT_AUDIT, default data/audit.sqlite)")
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="校验哈希链；链断开时退出码 1 并指出位置")
    verify.add_argument("--head", help="先前导出的链头哈希：须仍在链中")
    sub.add_parser("head", help="打印链头（最后一条记录的编号和哈希），供另存他处")
    sub.add_parser("purge", help="删除超过保存期限的记录")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    where = args.audit or settings.store("audit")
    log = AuditLog(where if stores.is_url(where) else Path(where), settings.audit_retention_days)
    if args.command == "purge":
        print(f"已删除 {log.purge()} 条超过保存期限（{log.retention_days} 天）的记录")
        return 0
    verdict = log.verify(getattr(args, "head", None))
    if args.command == "head":
        print(f"{verdict.head_id or 0}\t{verdict.head}")
        return 0 if verdict.ok else 1
    if verdict.ok:
        print(f"完好：{verdict.records} 条记录，链头 {verdict.head_id or '—'} {verdict.head}")
        return 0
    print(f"审计日志已被改动：{verdict.problem}（此前 {verdict.records} 条完好）", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
