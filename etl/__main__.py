"""python -m etl refresh | rollback | schedule | status | evaluate-warnings
| backup | restore | contract-doc

Exit codes: etl/exitcodes.py (`python -m etl --help` lists them)."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from pathlib import Path

from etl.exitcodes import ExitCode, exit_code, table
from etl.memory import keep_freed_memory
from warehouse import state
from warehouse.paths import ROOT

DEFAULT_KEY_FILE = state.default("pseudonym_key")
DEFAULT_WAREHOUSE = state.default("warehouse")


def _warehouse_arg(parser):
    parser.add_argument("--warehouse", type=Path,
                        default=Path(os.environ.get("COCKPIT_WAREHOUSE", DEFAULT_WAREHOUSE)),
                        help="数据仓库目录 (env COCKPIT_WAREHOUSE, default data/warehouse)")


def _refresh_args(parser):
    from etl.run import PublishRules
    d = PublishRules()
    parser.add_argument("--source", type=Path, required=True)
    _warehouse_arg(parser)
    parser.add_argument("--key-file", type=Path,
                        default=Path(os.environ.get("COCKPIT_PSEUDONYM_KEY_FILE", DEFAULT_KEY_FILE)),
                        help="假名化密钥文件, 存放于数据库之外 (pseudonymisation key, kept outside the database)")
    parser.add_argument("--mapping", type=Path,
                        default=Path(os.environ["COCKPIT_MAPPING"]) if os.environ.get("COCKPIT_MAPPING") else None,
                        help="文件名和列名映射 (TOML mapping of file names and headers; env COCKPIT_MAPPING)")
    parser.add_argument("--keep", type=int, default=d.keep, help=f"保留的版本数 (default {d.keep})")
    parser.add_argument("--min-row-ratio", type=float, default=d.min_row_ratio,
                        help=f"行数不得低于当前版本的比例 (default {d.min_row_ratio})")
    parser.add_argument("--max-quarantine-share", type=float, default=d.max_quarantine_share,
                        help=f"单个文件隔离行的最大比例 (default {d.max_quarantine_share})")
    parser.add_argument("--topology", choices=["warn", "refuse"], default=d.topology,
                        help="网格未铺满社区 (重叠、缝隙、越界) 时: warn 报告并发布, refuse 拒绝发布 "
                             f"(grids that do not tile their community; default {d.topology})")
    parser.add_argument("--topology-tolerance", type=float, default=d.topology_tolerance_m2,
                        help=f"不报告的重叠与缝隙面积上限, 平方米 (default {d.topology_tolerance_m2:g})")
    parser.add_argument("--force", action="store_true", help="源文件未变也重建 (rebuild unchanged files)")
    parser.add_argument("--memory-limit", default=d.memory_limit,
                        help=f"构建时 DuckDB 内存上限, 超出部分写入临时文件 (env ETL_MEMORY_LIMIT, default {d.memory_limit})")
    parser.add_argument("--incremental", action="store_true",
                        help="只合并新的事件增量文件 updates/events-*.csv (merge new event updates only)")
    parser.add_argument("--warning-settings", type=Path,
                        default=Path(os.environ["COCKPIT_WARNING_SETTINGS"]) if os.environ.get("COCKPIT_WARNING_SETTINGS") else None,
                        help="预警设置文件 (early-warning settings; env COCKPIT_WARNING_SETTINGS, "
                             "default etl/warning/settings.toml)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m etl", description="网格治理数字驾驶舱 ETL",
                                     epilog="exit codes:\n" + table(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    _refresh_args(sub.add_parser("refresh", help="加载源文件并发布新的数据版本 (load sources, publish)"))
    sch = sub.add_parser("schedule", help="按周期刷新 (refresh periodically, in this process)")
    sch.add_argument("--every", required=True, help="周期, 如 15m, 1h (period)")
    sch.add_argument("--runs", type=int, help="运行次数后退出 (stop after this many runs)")
    sch.add_argument("--full-at", help="与 --incremental 同用: 启动后第一次及每天此时刻后的第一次为全量刷新 "
                                       "(with --incremental: the first run and the first at or after HH:MM "
                                       "each day refresh in full)")
    sch.add_argument("--then", help="每次运行结束后（无论结果）运行的命令，退出码在 ETL_RUN_EXIT_CODE，"
                                    "如 \"python -m cockpit.notify\" (a command after each run, whatever its outcome)")
    _refresh_args(sch)
    _warehouse_arg(sub.add_parser("rollback", help="回退到上一个数据版本 (serve the previous generation)"))
    _warehouse_arg(sub.add_parser("status", help="当前版本与最近的运行记录 (served generation, run log)"))
    ev = sub.add_parser("evaluate-warnings", help="回放每日预警屏幕, 用真值文件评估 (replay the daily "
                                                  "screen over the history and judge it against a truth file)")
    ev.add_argument("--source", type=Path, required=True,
                    help="源文件目录, 含 incidents_truth.csv (source folder with the truth file)")
    _warehouse_arg(ev)
    ev.add_argument("--truth", type=Path, help="真值文件 (default SOURCE/incidents_truth.csv; format: docs/data-contract.md)")
    ev.add_argument("--replay", action="store_true",
                    help="逐日回放屏幕 (the replay; it is what this command does, the flag only says so)")
    ev.add_argument("--trials", type=int, default=0,
                    help="注入生成器不产生的形状的模拟事件数 (incidents of other shapes planted and replayed; e.g. 56)")
    ev.add_argument("--seed", type=int, default=5, help="模拟事件的随机种子 (seed of the planted trials)")
    ev.add_argument("--out", type=Path, help="写出各表与每个事件的结果 (write the tables and per-incident CSV here)")
    ev.add_argument("--save", action="store_true",
                    help="保存结果, 下次刷新时驾驶舱显示 (save for the cockpit: WAREHOUSE/warning_quality.csv)")
    from etl.backup import add_commands as add_backup_commands
    add_backup_commands(sub, _warehouse_arg)
    doc = sub.add_parser("contract-doc", help="由契约生成 docs/data-contract.md")
    doc.add_argument("--out", type=Path, default=ROOT / "docs" / "data-contract.md")
    return parser


def _refresh_argv(args) -> list[str]:
    """The refresh options of a `schedule` command, for its child runs."""
    argv = ["--source", str(args.source), "--warehouse", str(args.warehouse), "--key-file",
            str(args.key_file), "--keep", str(args.keep), "--min-row-ratio", str(args.min_row_ratio),
            "--max-quarantine-share", str(args.max_quarantine_share), "--memory-limit", args.memory_limit,
            "--topology", args.topology, "--topology-tolerance", str(args.topology_tolerance)]
    return argv + (["--mapping", str(args.mapping)] if args.mapping else []) \
        + (["--force"] if args.force else []) + (["--incremental"] if args.incremental else []) \
        + (["--warning-settings", str(args.warning_settings)] if args.warning_settings else [])


def main(argv=None) -> int:
    keep_freed_memory()
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stdout)
    try:
        return _run(args)
    except Exception as exc:
        code = exit_code(exc)
        if code == ExitCode.UNEXPECTED:          # a bug: its traceback, never a code that misleads
            traceback.print_exc()
        else:
            print(f"错误: {exc}", file=sys.stderr)
        return code


def _run(args) -> int:
    if getattr(args, "run", None) is not None:       # commands that register their own runner
        return args.run(args)
    if args.command == "contract-doc":
        from etl.contract.doc import render
        args.out.write_text(render(), encoding="utf-8")
    elif args.command == "refresh":
        from etl.refresh import refresh
        from etl.run import PublishRules
        rules = PublishRules(keep=args.keep, min_row_ratio=args.min_row_ratio,
                             max_quarantine_share=args.max_quarantine_share, force=args.force,
                             memory_limit=args.memory_limit, topology=args.topology,
                             topology_tolerance_m2=args.topology_tolerance)
        report = refresh(args.source, args.warehouse, args.key_file, args.mapping, rules,
                         incremental=args.incremental, warning_settings=args.warning_settings)
        quarantined = sum(f["quarantined"] for f in report.files)
        print(f"{report.status} {report.generation}: run {report.run_id}, {len(report.files)} 个文件, "
              f"隔离 {quarantined} 行, {report.seconds:.1f} s")
    elif args.command == "schedule":
        from etl.schedule import parse_clock, parse_period, schedule
        return schedule(_refresh_argv(args), parse_period(args.every), args.runs,
                        parse_clock(args.full_at) if args.full_at else None, args.then)
    elif args.command == "evaluate-warnings":
        from etl.warning.evaluate import evaluate_command
        return evaluate_command(args.source, args.warehouse, args.truth, args.save, args.trials, args.seed,
                                args.out)
    elif args.command == "rollback":
        from etl.refresh import rollback
        was, now = rollback(args.warehouse)
        print(f"已回退: {was.id} → {now.id}")
    else:
        _print_status(args.warehouse)
    return ExitCode.DONE


STATUS_NAMES = {"running": "运行中", "published": "已发布", "unchanged": "无变化", "rejected": "未通过检查",
                "failed": "失败", "interrupted": "中断", "rolled_back": "已回滚", "refused": "被拒绝 (锁被占用)"}


def _print_status(warehouse: Path) -> None:
    from contextlib import closing

    from etl import runlog
    from warehouse import generations
    served = generations.current(warehouse)
    print(f"当前版本 (served): {served.id if served else '无 (none)'}")
    print("保留版本 (kept):", ", ".join(g.id for g in generations.published(warehouse)) or "无")
    for line in _served_warnings(served):
        print(f"警告 (warning): {line}")
    if (Path(warehouse) / runlog.FILE).exists():
        with closing(runlog.connect(warehouse)) as con:
            if n := runlog.mark_gone(con):
                print(f"{n} 次运行的进程已不在, 标记为中断 (runs whose process is gone: interrupted)")
    for r in runlog.runs(warehouse, limit=10):
        status = STATUS_NAMES.get(r["status"], r["status"])
        print(f"  {r['started_at']}  {r['command']:<8} {status} ({r['status']})  exit={r['exit_code']}  "
              f"in={r['rows_in']} loaded={r['rows_loaded']} quarantined={r['rows_quarantined']}  "
              f"{r['error'] or ''}")


def _served_warnings(served) -> list[str]:
    """What the served generation says a steward should fix: grids that do not tile their
    community, years the work calendar does not cover."""
    if served is None:
        return []
    import duckdb

    from etl import workcalendar
    out = []
    with duckdb.connect(str(served.path), read_only=True) as con:
        tables = {f"{s}.{t}" for (s, t) in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
        if "ops.grid_topology" in tables:
            for day, community, problem, grids, area in con.execute(
                    "SELECT check_date, community_code, problem, grid_codes, area_m2 FROM ops.grid_topology "
                    "ORDER BY area_m2 DESC").fetchall():
                out.append(f"网格拓扑 {TOPOLOGY_NAMES.get(problem, problem)}: 社区 {community}, 网格 "
                           f"{grids.replace(';', '、')}, {area:,.0f} m² ({day} 起)")
        if "ops.calendar_coverage" in tables:
            for year, events, needs in con.execute(
                    "SELECT year, events, needs FROM ops.calendar_coverage WHERE source IS NULL ORDER BY year").fetchall():
                out.append(f"工作日历未覆盖 {year} 年" + (f" (事件 {events}, 需求 {needs})" if events or needs else "")
                           + f": 其工作日按周一至周五计算, 法定节假日与调休不计; 请在 {workcalendar.calendar_path()} "
                           "中添加该年国务院放假安排")
    return out


TOPOLOGY_NAMES = {"overlap": "重叠", "gap": "缝隙", "outside_community": "越出社区"}


if __name__ == "__main__":
    sys.exit(main())
