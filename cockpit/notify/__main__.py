"""python -m cockpit.notify [--channels FILE] [--dry-run]   push what is new to every channel
python -m cockpit.notify test CHANNEL                        send a test message to one channel
python -m cockpit.notify log [--channel NAME] [--limit N]    the delivery log, newest first

Run by the scheduler after each refresh (`python -m etl schedule … --then "python -m cockpit.notify"`,
deploy/systemd/cockpit-etl.service), or by cron. Exit codes: 0 done (nothing failed; held and
deferred messages go out with a later run), 1 a message failed or was refused, 2 the channels file
or a setting is wrong, 3 no such channel (test)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cockpit.config import Settings
from cockpit.notify import channels, notices, render, run
from cockpit.notify.store import NotifyStore
from warehouse import state


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--channels", type=Path, help="渠道文件 (TOML; default COCKPIT_NOTIFY_CHANNELS, data/notify.toml)")
    common.add_argument("--warehouse", type=Path, help="数据仓库 (default COCKPIT_WAREHOUSE)")
    common.add_argument("--warning-settings", type=Path,
                        help="预警设置文件，识别超期规则 (default COCKPIT_WARNING_SETTINGS)")
    parser = argparse.ArgumentParser(prog="python -m cockpit.notify", parents=[common],
                                     description="预警与数据刷新推送 (push to group robots, webhooks, e-mail)")
    parser.add_argument("--dry-run", action="store_true", help="只显示将发送的消息，不发送、不记录")
    parser.add_argument("--channel", help="只处理这个渠道 (only this channel)")
    sub = parser.add_subparsers(dest="command")
    test = sub.add_parser("test", parents=[common], help="向一个渠道发送测试消息 (send a test message)")
    test.add_argument("name")
    log = sub.add_parser("log", parents=[common], help="投递记录 (the delivery log)")
    log.add_argument("--channel")
    log.add_argument("--limit", type=int, default=50)
    return parser


def main(argv=None, env=os.environ) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env(env, warehouse=args.warehouse)
    found = state.locate(env)
    store = NotifyStore(found["notify"])
    if args.command == "log":
        frame = store.deliveries(args.channel, args.limit)
        print(frame.to_string(index=False) if len(frame) else "尚无投递记录")
        return 0
    try:
        config = channels.load(args.channels or found["notify_channels"], env)
        ctx = run.context(config, settings.warehouse, settings.url_prefix,
                          args.warning_settings or notices.warning_settings_file(env), notices.briefings_root(env))
    except channels.ChannelError as exc:
        print(f"推送设置错误: {exc}", file=sys.stderr)
        return 2
    if args.command == "test":
        if args.name not in config.channels:
            print(f"没有这个渠道: {args.name} (有: {', '.join(config.channels) or '无'})", file=sys.stderr)
            return 3
        outcome = run.test_message(ctx, store, config.channels[args.name])
        last = store.deliveries(args.name, 1)
        detail = last["detail"].iloc[0] if len(last) else ""
        print(f"{args.name}: {outcome} {detail}".strip())
        return 0 if outcome == "sent" else 1
    if not config.channels:
        print("未配置推送渠道 (no channels): 推送未启用")
        return 0
    exit_code = env.get("ETL_RUN_EXIT_CODE")
    if exit_code:
        print(f"刷新退出码 {exit_code}")
    report = run.run_all(config, ctx, store, args.channel, dry_run=_show if args.dry_run else None)
    for line in report.lines():
        print(line)
    return 1 if report.failed else 0


def _show(channel, notice, link) -> None:
    """--dry-run: the message as the channel would get it."""
    if channel.type == "wecom":
        text = render.wecom(notice, link, channel.name)["markdown"]["content"]
    elif channel.type == "dingtalk":
        text = render.dingtalk(notice, link, channel.name)["markdown"]["text"]
    else:
        text = render.subject(notice) + "\n" + render.plain(notice, link, channel.name)
    print(f"--- {channel.name} ({channel.type}) {notice.key}\n{text}\n")


if __name__ == "__main__":
    sys.exit(main())
