"""`python -m cockpit.briefing`: make briefings (简报) as PDF and PNG.

    python -m cockpit.briefing --area 220204 --date 2026-11-01 [--weekly] [--out DIR]
    python -m cockpit.briefing --all [--date D]      # the scheduler's: every configured area

A briefing dated D reports on the day before D (weekly: the seven days before D) as the served
data stood at D 00:00 (or at their as-of, if earlier). Files go to
DIR/{area}/{daily|weekly}-{D}.pdf and .png; DIR is the archive (COCKPIT_BRIEFINGS) unless
--out names another folder. `--all` makes the daily briefing of every area in
COCKPIT_BRIEFING_AREAS (none set: every district of the warehouse) and, on the weekday
COCKPIT_BRIEFING_WEEKDAY, the weekly one too; an area that fails does not stop the others.

Exit codes: 0 done, 1 a briefing could not be made, 2 bad arguments (an area the warehouse does
not hold, no warehouse published)."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from cockpit.briefing import archive
from cockpit.briefing.content import gather
from cockpit.briefing.page import PAGES, html
from cockpit.briefing.render import RenderError, render
from cockpit.config import Settings
from cockpit.db import Snapshot, Warehouse
from cockpit.queries import briefing as q
from cockpit.queries.areas import in_scope
from cockpit.scope import CITY, Scope


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m cockpit.briefing", description="生成每日 / 每周简报 (PDF 和 PNG)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--area", help="区划或网格编码 (an area code)")
    which.add_argument("--all", action="store_true",
                       help="COCKPIT_BRIEFING_AREAS 中的每个区域 (每日; 逢 COCKPIT_BRIEFING_WEEKDAY 另出周报)")
    p.add_argument("--date", type=dt.date.fromisoformat, default=None,
                   help="简报日期 YYYY-MM-DD, 报告其前一天 (default: today)")
    p.add_argument("--weekly", action="store_true", help="周报: 报告日期之前的 7 天 (with --area)")
    p.add_argument("--out", type=Path, default=None, help="输出目录 (default: COCKPIT_BRIEFINGS)")
    p.add_argument("--warehouse", type=Path, default=None, help="数据仓库 (env COCKPIT_WAREHOUSE)")
    return p


def make(wh: Snapshot, warehouse_path: Path, scope: Scope, kind: str, day: dt.date, out: Path) -> tuple[Path, Path]:
    """One briefing, rendered into the archive layout under `out`. Returns (pdf, png)."""
    briefing = gather(wh, scope, kind, day, warehouse_path)
    pdf, png = (archive.path(out, scope.code, kind, day, fmt) for fmt in archive.FORMATS)
    render(html(briefing), pdf, png, PAGES)
    return pdf, png


def area_scope(wh: Snapshot, code: str) -> Scope:
    """The briefing's area as a Scope with its name; ValueError when the warehouse has no such area."""
    if code == CITY.code:
        return CITY
    scope = Scope(code, code)                       # ValueError: not an area code
    name = q.area_names(wh, scope, [code]).get(code)
    if name is None:
        raise ValueError(f"数据仓库中没有区域 {code}")
    return Scope(code, name)


def districts(wh: Snapshot) -> list[str]:
    areas = in_scope(wh, CITY)
    return sorted(areas.loc[areas["level"] == "district", "code"])


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env(warehouse=args.warehouse)
    day = args.date or dt.date.today()
    out = args.out or settings.briefings
    warehouse = Warehouse(settings.warehouse)
    try:
        wh = warehouse.snapshot()
    except FileNotFoundError as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    failed = 0
    try:
        if args.all:
            areas = list(settings.briefing_areas) or districts(wh)
            kinds = ["daily"] + (["weekly"] if day.isoweekday() == settings.briefing_weekday else [])
            jobs = [(code, kind) for code in areas for kind in kinds]
        else:
            jobs = [(args.area, "weekly" if args.weekly else "daily")]
        for code, kind in jobs:
            try:
                scope = area_scope(wh, code)
            except ValueError as exc:
                print(f"错误: {exc}", file=sys.stderr)
                if not args.all:
                    return 2
                failed += 1
                continue
            try:
                pdf, png = make(wh, settings.warehouse, scope, kind, day, out)
            except RenderError as exc:
                print(f"错误: {scope.name} {kind}: {exc}", file=sys.stderr)
                failed += 1
                continue
            print(f"{scope.name} ({scope.code}) {kind} {day}: {pdf} {png}")
    finally:
        wh.close()
        warehouse.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
