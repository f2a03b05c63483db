"""python -m demo generate | split-updates: the demo source files (realistic, for 吉林市) and the
daily update files a live export would bring. Not part of the ETL: the refresh never imports it."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m demo", description="网格治理数字驾驶舱 演示数据")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="生成吉林市模拟数据 (write realistic demo source files)")
    gen.add_argument("--scale", choices=["tiny", "demo", "city"], default="demo")
    gen.add_argument("--workers", type=int, default=None,
                     help="并行进程数, 默认为 CPU 核数 (worker processes; the files do not depend on it)")
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--events-factor", type=float, default=1.0,
                     help="事件量倍数 (events per resident ×N, for a growth curve: 2, 4)")
    gen.add_argument("--dirty", action="store_true",
                     help="注入已知缺陷并写出 dirty_manifest.json (inject known defects, with a manifest)")
    split = sub.add_parser("split-updates", help="把事件拆为基础导出与每日增量 (events.csv as of N days "
                                                  "earlier, plus one update file per day)")
    split.add_argument("--source", type=Path, required=True)
    split.add_argument("--days", type=int, default=1)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stdout)
    if args.command == "generate":
        from demo.run import generate
        generate(args.scale, args.out, args.seed, args.workers, args.events_factor)
        if args.dirty:
            from demo.dirty import make_dirty
            make_dirty(args.out, args.seed)
    else:
        from demo.updates import split_updates
        for path in split_updates(args.source, args.days):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
