"""python -m etl generate | refresh"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from etl.extract import SourceError
from etl.memory import keep_freed_memory
from etl.paths import ROOT

DEFAULT_KEY_FILE = ROOT / "data" / "secrets" / "pseudonym.key"


def main(argv=None) -> int:
    keep_freed_memory()
    parser = argparse.ArgumentParser(prog="python -m etl", description="网格治理数字驾驶舱 ETL")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="生成吉林市模拟数据 (write realistic demo source files)")
    gen.add_argument("--scale", choices=["tiny", "demo", "city"], default="demo")
    gen.add_argument("--workers", type=int, default=None,
                     help="并行进程数, 默认为 CPU 核数 (worker processes; the files do not depend on it)")
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--dirty", action="store_true",
                     help="注入已知缺陷并写出 dirty_manifest.json (inject known defects, with a manifest)")
    ref = sub.add_parser("refresh", help="加载源文件并发布新的数据仓库 (load sources, publish warehouse)")
    ref.add_argument("--source", type=Path, required=True)
    ref.add_argument("--db", type=Path, required=True)
    ref.add_argument("--key-file", type=Path,
                     default=Path(os.environ.get("COCKPIT_PSEUDONYM_KEY_FILE", DEFAULT_KEY_FILE)),
                     help="假名化密钥文件, 存放于数据库之外 (pseudonymisation key, kept outside the database)")
    ref.add_argument("--mapping", type=Path, help="文件名和列名映射 (TOML mapping of file names and headers)")
    doc = sub.add_parser("contract-doc", help="由契约生成 docs/data-contract.md")
    doc.add_argument("--out", type=Path, default=ROOT / "docs" / "data-contract.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stdout)
    try:
        if args.command == "generate":
            from etl.generate.run import generate
            generate(args.scale, args.out, args.seed, args.workers)
            if args.dirty:
                from etl.generate.dirty import make_dirty
                make_dirty(args.out, args.seed)
        elif args.command == "contract-doc":
            from etl.contract.doc import render
            args.out.write_text(render(), encoding="utf-8")
        else:
            from etl.refresh import refresh
            report = refresh(args.source, args.db, args.key_file, args.mapping)
            quarantined = sum(f["quarantined"] for f in report.files)
            print(f"完成 run {report.run_id}: {len(report.files)} 个文件, 隔离 {quarantined} 行, "
                  f"{report.seconds:.1f} s")
    except SourceError as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
