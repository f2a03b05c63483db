"""Start the cockpit: `python app.py [--port 8050] [--warehouse data/warehouse] [--demo]`.

On a fresh clone the warehouse does not exist yet: generate the demo data (船营区, seed 42) and
build it first, printing progress, then serve with waitress (a production WSGI server). Only
that warehouse, the one this script built from the generator (or any warehouse with --demo),
gets the demo accounts when the account store is empty; any other warehouse is served with no
account until an administrator creates the first one (the command is printed)."""
from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
from pathlib import Path

from cockpit.config import Settings
from warehouse import generations, state
from warehouse.paths import ROOT

DEMO_SOURCE = ROOT / "data" / "demo"
DEMO_MARKER = "demo-build.json"      # in the warehouse: the generation this script built from the generator


def build_demo_warehouse(warehouse: Path) -> None:
    print(f"首次运行：未找到数据仓库 {warehouse}，正在生成演示数据并建库 …", flush=True)
    if not (DEMO_SOURCE / "manifest.json").exists():
        subprocess.run([sys.executable, "-m", "demo", "generate", "--scale", "demo",
                        "--out", str(DEMO_SOURCE), "--seed", "42"], check=True, cwd=ROOT)
    subprocess.run([sys.executable, "-m", "etl", "refresh", "--source", str(DEMO_SOURCE),
                    "--warehouse", str(warehouse)], check=True, cwd=ROOT)
    built = generations.current(warehouse)
    (Path(warehouse) / DEMO_MARKER).write_text(json.dumps(
        {"generation": built.id, "source": str(DEMO_SOURCE.relative_to(ROOT)), "seed": 42}) + "\n",
        encoding="utf-8")


def is_demo_build(warehouse: Path) -> bool:
    """Whether the served generation is the one build_demo_warehouse made: a later refresh with
    other files (real exports in the same folder) serves another generation, and is not the demo."""
    try:
        marker = json.loads((Path(warehouse) / DEMO_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    served = generations.current(warehouse) if Path(warehouse).is_dir() else None
    return served is not None and marker.get("generation") == served.id


def first_admin_help(settings: Settings) -> str:
    area = "区划编码"
    try:
        from cockpit.db import Warehouse
        codes = Warehouse(settings.warehouse).query(
            "SELECT DISTINCT code FROM core.areas_in_force WHERE level = 'district'")["code"]
        area = codes.iloc[0] if len(codes) == 1 else (codes.str[:4].iloc[0] if len(codes) else area)
    except Exception:          # nothing published yet: the placeholder says what to put there
        pass
    store = "（PostgreSQL）" if settings.database_url else settings.accounts
    return (f"账号库 {store} 为空：在建立第一个管理员账号之前，驾驶舱不提供数据。\n"
            f"请在本机以与服务相同的环境变量运行：\n"
            f"  {sys.executable} -m cockpit.accounts add 管理员账号 --role 区级管理员 --area {area}\n"
            f"建立后刷新浏览器即可登录，无需重启。（演示数据请用 make run，或 python app.py --demo）")


def freeze_start_up() -> None:
    """What start-up built (Dash, plotly's validators, pandas: about 160,000 objects) lives as long
    as the process. Frozen, the collector's full passes no longer walk it: they paused requests
    for about 100 ms (bench/cockpit.py measured the p95 of a cached answer at 109 ms, 17 frozen)."""
    gc.collect()
    gc.freeze()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="网格治理数字驾驶舱")
    parser.add_argument("--port", type=int, help="端口 (env COCKPIT_PORT, default 8050)")
    parser.add_argument("--warehouse", type=Path,
                        help="数据仓库目录或单个 DuckDB 文件 (env COCKPIT_WAREHOUSE, default data/warehouse)")
    parser.add_argument("--host", help="监听地址 (env COCKPIT_HOST, default 127.0.0.1)")
    parser.add_argument("--demo", action="store_true",
                        help="演示：账号库为空时建立演示账号，仓库不存在时生成演示数据 (demo accounts on any warehouse)")
    return parser


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env(port=args.port, warehouse=args.warehouse, host=args.host)
    from cockpit.db import Warehouse
    if not Warehouse(settings.warehouse).exists():
        if args.demo or settings.warehouse.resolve() == state.default("warehouse").resolve():
            build_demo_warehouse(settings.warehouse)
        else:
            print(f"数据仓库 {settings.warehouse} 尚未发布数据：请运行 python -m etl refresh --source 导出目录 "
                  f"--warehouse {settings.warehouse}；发布后驾驶舱自动显示，无需重启。", flush=True)

    from cockpit.accounts.store import AccountStore
    store = AccountStore(settings.store("accounts"))
    if not store.list():
        if args.demo or is_demo_build(settings.warehouse):
            from cockpit.accounts.__main__ import DEMO_PASSWORD, demo_accounts
            print("账号库为空，已建立演示账号（仅供演示；正式使用请以 python -m cockpit.accounts 管理）：")
            for account_id, role, area in demo_accounts(store, settings.warehouse):
                print(f"  {account_id:<11} {role:<6} {area}  密码 {DEMO_PASSWORD}")
        else:
            print(first_admin_help(settings), flush=True)

    from waitress import serve

    from cockpit.app import create_app
    from cockpit.ops import warm
    app = create_app(settings)
    freeze_start_up()
    warm.start(app, app.server.config["COCKPIT_SETTINGS"].warm_seconds)
    prefix = app.server.config["COCKPIT_SETTINGS"].url_prefix
    print(f"驾驶舱已启动: http://{settings.host}:{settings.port}{prefix}/", flush=True)
    # waitress would drop every X-Forwarded-* header before the app sees it: the app decides
    # whom to believe (cockpit/ops/proxy.py, which drops them from untrusted peers itself)
    serve(app.server, host=settings.host, port=settings.port, threads=settings.threads,
          clear_untrusted_proxy_headers=False)


if __name__ == "__main__":
    main()
