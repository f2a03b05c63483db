"""One push run: for each channel, what its area sees (notices.py), less what it was told already
(deduplication), then quiet hours, the rate limit, the personal-data check, sending with retries
and the delivery log.

- Deduplication: a notice is announced when the channel was never told of it, or when it changed
  since it was last announced (notices.change); it is marked announced only once delivered, so a
  message that failed or was deferred is tried again by the next run.
- Quiet hours (`quiet`): nothing is sent. Messages are *held*: not marked, so the first run after
  quiet hours announces what is then current (an incident that grew overnight is announced once,
  as it stands; one that came and went overnight is not, being off the screen by then; a refresh
  that failed overnight is, within notices.REFRESH_LOOKBACK_HOURS). Kinds listed in `quiet_drop`
  are *dropped* instead: marked announced without sending, logged as dropped.
- Rate limit (`per_minute`): a token bucket per channel in the store, shared by every run and by
  `test`; a message finding it empty is deferred (logged) to the next run.
- Personal data: every message is checked with the scrubber's `holds_personal` before it leaves;
  one that would carry an ID or mobile number is refused (logged), never sent.
- Runs do not overlap: a lock file beside the store."""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cockpit.db import Warehouse
from cockpit.notify import deliver, notices, render
from cockpit.notify.channels import Channel, ChannelError, Config
from cockpit.notify.notices import Notice
from cockpit.notify.store import NotifyStore
from cockpit.queries import areas
from cockpit.queries.meta import generation
from warehouse.personal import holds_personal


@dataclass
class Report:
    counts: dict[str, Counter] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(c["failed"] + c["refused"] for c in self.counts.values())

    def lines(self) -> list[str]:
        return [f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) if c else f"{name}: 无新消息"
                for name, c in self.counts.items()] + self.problems


@dataclass
class Context:
    """What a run reads once and shares between channels."""
    warehouse: Path
    public_url: str
    prefix: str
    overdue_rules: set[str]
    briefings: Path
    now: dt.datetime
    _warehouse = None
    _snapshot = None
    _per_area: dict = field(default_factory=dict)
    _refreshes: list | None = None

    def snapshot(self):
        if self._snapshot is None:
            self._warehouse = Warehouse(self.warehouse)
            self._snapshot = self._warehouse.snapshot() if self._warehouse.exists() else False
        return self._snapshot or None

    def close(self):
        """Let go of the generation (its file may be replaced or deleted by the next refresh)."""
        if self._snapshot:
            self._snapshot.close()
        if self._warehouse is not None:
            self._warehouse.close()
        self._warehouse = self._snapshot = None

    def area(self, channel: Channel) -> tuple[str, str, list[Notice]]:
        """(area name, as-of, incident notices) of the channel's area, read once per area."""
        if channel.area not in self._per_area:
            snap, scope = self.snapshot(), channel.scope
            if snap is None:
                self._per_area[channel.area] = (channel.area, "", [])
            else:
                as_of = generation(snap)["as_of"]
                as_of = "" if as_of is None else f"{as_of:%Y-%m-%d %H:%M}"
                name = areas.name_of(snap, scope, scope.code)      # the code itself when unknown
                self._per_area[channel.area] = (name, as_of, notices.incidents(snap, scope, self.overdue_rules, as_of))
        return self._per_area[channel.area]

    def refreshes(self) -> list[Notice]:
        if self._refreshes is None:
            self._refreshes = notices.refreshes(self.warehouse, self.now)
        return self._refreshes

    def link(self, path: str) -> str:
        return render.absolute(self.public_url, self.prefix, path)


def gather(ctx: Context, channel: Channel) -> list[Notice]:
    """Everything the channel's kinds and area could announce now, refresh failures first."""
    name, _as_of, found = ctx.area(channel) if ({"incident", "drop", "overdue", "briefing"} & set(channel.kinds)) \
        else (channel.area, "", [])
    out = list(ctx.refreshes()) if "refresh" in channel.kinds else []
    out += [n for n in found if n.kind in channel.kinds]
    if "briefing" in channel.kinds:
        out += notices.briefings(ctx.briefings, channel.area, name, ctx.now.date())
    return out


def message(channel: Channel, n: Notice, link: str) -> tuple[Callable[[], str], str]:
    """(a function that sends it, the text that leaves: what the personal-data check reads)."""
    o, timeout = channel.options, channel.timeout_seconds
    if channel.type == "email":
        subject, body = render.subject(n), render.plain(n, link, channel.name)
        return (lambda: deliver.send_mail(o, subject, body, n.attachment, timeout)), subject + "\n" + body
    payload = {"wecom": render.wecom, "dingtalk": render.dingtalk, "webhook": render.webhook}[channel.type](
        n, link, channel.name)
    text = json.dumps(payload, ensure_ascii=False)
    if channel.type == "dingtalk" and o.get("secret"):
        return (lambda: deliver.post_json(deliver.dingtalk_url(o["url"], o["secret"]), payload, timeout,
                                          robot=True)), text
    return (lambda: deliver.post_json(o["url"], payload, timeout, robot=channel.type != "webhook")), text


def send(store: NotifyStore, channel: Channel, n: Notice, link: str, sleep=time.sleep) -> str:
    """Check, rate-limit, send with retries and log one message; returns the outcome."""
    sender, text = message(channel, n, link)
    size = len(text.encode("utf-8"))
    if holds_personal(text):
        store.log(channel.name, n.kind, n.key, "refused", 0, "personal data in the message", size)
        return "refused"
    if not store.take(channel.name, channel.per_minute):
        store.log(channel.name, n.kind, n.key, "deferred", 0, f"rate limit {channel.per_minute:g}/min", size)
        return "deferred"
    outcome = deliver.with_retries(sender, channel.retries, channel.backoff_seconds, sleep)
    store.log(channel.name, n.kind, n.key, "sent" if outcome.ok else "failed", outcome.attempts, outcome.detail, size)
    return "sent" if outcome.ok else "failed"


def run_channel(ctx: Context, store: NotifyStore, channel: Channel, sleep=time.sleep,
                dry_run: Callable[[Channel, Notice, str], None] | None = None) -> Counter:
    counts = Counter()
    told = store.announced(channel.name)
    quiet = channel.in_quiet_hours(ctx.now.hour * 60 + ctx.now.minute)
    for n in gather(ctx, channel):
        what = notices.change(told.get(n.key), n.state)
        if what is None:
            continue
        n = n.with_change(what)
        if dry_run is not None:
            dry_run(channel, n, ctx.link(n.link))
            counts["shown"] += 1
            continue
        if quiet and n.kind in channel.quiet_drop:
            store.mark(channel.name, n.key, n.kind, n.state)
            store.log(channel.name, n.kind, n.key, "dropped", 0, "quiet hours")
            counts["dropped"] += 1
            continue
        if quiet:
            counts["held"] += 1
            continue
        outcome = send(store, channel, n, ctx.link(n.link), sleep)
        counts[outcome] += 1
        if outcome == "sent":
            store.mark(channel.name, n.key, n.kind, n.state)
    return counts


@contextmanager
def exclusive(store_path: Path):
    """One push run at a time (the scheduler's and a hand-started one would announce twice)."""
    lock = Path(store_path).with_name(Path(store_path).name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def context(config: Config, warehouse: Path, prefix: str, warning_settings: Path, briefings: Path,
            now: dt.datetime | None = None) -> Context:
    if config.channels and not config.public_url:
        raise ChannelError("未设置 COCKPIT_PUBLIC_URL（或渠道文件中的 public_url）：消息中的链接无处可指")
    return Context(Path(warehouse), config.public_url, prefix, notices.overdue_rules(warning_settings),
                   Path(briefings), now or dt.datetime.now())


def run_all(config: Config, ctx: Context, store: NotifyStore, only: str | None = None, sleep=time.sleep,
            dry_run=None) -> Report:
    report = Report()
    with exclusive(store.path):
        try:
            for name, channel in config.channels.items():
                if only is None or name == only:
                    report.counts[name] = run_channel(ctx, store, channel, sleep, dry_run)
        finally:
            ctx.close()
    return report


def test_message(ctx: Context, store: NotifyStore, channel: Channel, sleep=time.sleep) -> str:
    """`python -m cockpit.notify test CHANNEL`: a message that says the channel works; it ignores
    quiet hours and deduplication, takes a token from the rate limit and is logged."""
    try:
        name, as_of, _ = ctx.area(channel)
    finally:
        ctx.close()
    n = Notice("test", f"test:{ctx.now:%Y%m%dT%H%M%S}", {}, "推送渠道已连通", name,
               (("渠道", channel.name), ("区域", name), ("接收", "、".join(channel.kinds)),
                ("说明", "这是一条测试消息，收到即表示推送设置正确")), "/", as_of)
    with exclusive(store.path):
        return send(store, channel, n, ctx.link(n.link), sleep)
