"""The channels file (TOML; COCKPIT_NOTIFY_CHANNELS or `--channels`, default data/notify.toml): where
push messages go and what each destination hears. Format (deploy/notify.example.toml):

    public_url = "https://cockpit.example.gov.cn"      # or COCKPIT_PUBLIC_URL; links in messages

    [channels.dadong]                                   # the channel's name (test, log)
    type = "wecom"                                      # wecom | dingtalk | webhook | email
    url_env = "NOTIFY_DADONG_URL"                       # or url = "…": the robot's webhook address
    area = "220204002"                                  # it hears only what this area's accounts see
    kinds = ["incident", "drop", "overdue", "briefing"] # default; "refresh" must be asked for
    quiet = "22:00-07:00"                               # local time; held, sent after it (see run.py)
    quiet_drop = ["briefing"]                           # kinds dropped instead of held in quiet hours
    per_minute = 20                                     # 企业微信's and 钉钉's robots allow 20

A secret (`url`, `secret`, `password`) may be written in the file or, better, named by `…_env`: the
environment variable that holds it (set in the services' environment file, which is not
world-readable), so the channels file itself holds no key. A file that names an unknown type,
kind, field or a bad area, period or limit is refused as a whole (exit 2): a typo must not
silence a group."""
from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cockpit.scope import Scope

TYPES = ("wecom", "dingtalk", "webhook", "email")
KINDS = ("incident", "drop", "overdue", "refresh", "briefing")
DEFAULT_KINDS = ("incident", "drop", "overdue", "briefing")
PER_MINUTE = {"wecom": 20, "dingtalk": 20, "webhook": 60, "email": 30}
SECRETS = ("url", "secret", "password")
COMMON = {"type", "area", "kinds", "quiet", "quiet_drop", "per_minute", "retries", "backoff_seconds",
          "timeout_seconds"}
FIELDS = {"wecom": {"url"}, "dingtalk": {"url", "secret"}, "webhook": {"url"},
          "email": {"host", "port", "security", "user", "password", "sender", "to", "attach_max_mb"}}
REQUIRED = {"wecom": {"url"}, "dingtalk": {"url"}, "webhook": {"url"}, "email": {"host", "sender", "to"}}
SECURITY = ("starttls", "ssl", "none")
CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


class ChannelError(ValueError):
    """A channels file the push refuses."""


@dataclass(frozen=True)
class Channel:
    name: str
    type: str
    area: str
    kinds: tuple[str, ...] = DEFAULT_KINDS
    quiet: tuple[int, int] | None = None           # minutes after midnight: start, end
    quiet_drop: tuple[str, ...] = ()
    per_minute: float = 20
    retries: int = 3                               # tries after the first
    backoff_seconds: float = 2.0                   # 2, 4, 8 … seconds between tries
    timeout_seconds: float = 10.0
    options: Mapping = field(default_factory=dict)  # the type's own fields, secrets resolved

    @property
    def scope(self) -> Scope:
        return Scope(self.area, self.area)

    def in_quiet_hours(self, minute_of_day: int) -> bool:
        if self.quiet is None:
            return False
        start, end = self.quiet
        return start <= minute_of_day < end if start <= end else minute_of_day >= start or minute_of_day < end


@dataclass(frozen=True)
class Config:
    channels: dict[str, Channel]
    public_url: str


def default_path(env: Mapping[str, str] = os.environ) -> Path:
    from warehouse import state
    return state.locate(env)["notify_channels"]


def load(path: Path, env: Mapping[str, str] = os.environ) -> Config:
    """The channels of `path` (none when the file does not exist: push is off)."""
    path = Path(path)
    if not path.exists():
        return Config({}, public_url(env, {}))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ChannelError(f"{path}: 不是有效的 TOML: {exc}") from None
    unknown = set(data) - {"public_url", "channels"}
    if unknown:
        raise ChannelError(f"{path}: 未知的设置 {sorted(unknown)}")
    channels = {name: _channel(path, name, spec, env) for name, spec in (data.get("channels") or {}).items()}
    return Config(channels, public_url(env, data))


def public_url(env: Mapping[str, str], data: Mapping) -> str:
    """scheme://host[:port] the readers reach the cockpit at (COCKPIT_PUBLIC_URL over the file's
    public_url), without a trailing slash; links add COCKPIT_URL_PREFIX (run.py)."""
    url = (env.get("COCKPIT_PUBLIC_URL") or data.get("public_url") or "").strip().rstrip("/")
    if url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
        raise ChannelError(f"COCKPIT_PUBLIC_URL 须为 http(s)://主机[:端口]: {url!r}")
    return url


def _channel(path: Path, name: str, spec, env: Mapping[str, str]) -> Channel:
    where = f"{path}: 渠道 {name!r}"
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name) or not isinstance(spec, dict):
        raise ChannelError(f"{where}: 名称只能含字母、数字和 _ . -，且须为一个表")
    kind = spec.get("type")
    if kind not in TYPES:
        raise ChannelError(f"{where}: type 须为 {TYPES} 之一")
    allowed = COMMON | FIELDS[kind] | {f"{s}_env" for s in SECRETS if s in FIELDS[kind]}
    unknown = set(spec) - allowed
    if unknown:
        raise ChannelError(f"{where}: 未知的设置 {sorted(unknown)}")
    options = {k: v for k, v in spec.items() if k in FIELDS[kind]}
    for secret in SECRETS:
        if f"{secret}_env" in spec:
            value = env.get(str(spec[f"{secret}_env"]))
            if not value:
                raise ChannelError(f"{where}: 环境变量 {spec[f'{secret}_env']} 未设置 ({secret})")
            options[secret] = value
    missing = REQUIRED[kind] - set(options)
    if missing:
        raise ChannelError(f"{where}: 缺少 {sorted(missing)}")
    if kind in ("wecom", "dingtalk", "webhook") and not re.fullmatch(r"https?://\S+", str(options["url"])):
        raise ChannelError(f"{where}: url 须为 http(s) 地址")
    if kind == "email":
        options["to"] = [options["to"]] if isinstance(options["to"], str) else list(options["to"])
        if not options["to"] or not all(isinstance(t, str) and "@" in t for t in options["to"]):
            raise ChannelError(f"{where}: to 须为收件地址（一个或一组）")
        if options.setdefault("security", "starttls") not in SECURITY:
            raise ChannelError(f"{where}: security 须为 {SECURITY} 之一")
    area = str(spec.get("area", ""))
    try:
        Scope(area, area)
    except ValueError:
        raise ChannelError(f"{where}: area 须为区域代码（4、6、9、12 或 15 位数字）") from None
    kinds = tuple(spec.get("kinds", DEFAULT_KINDS))
    drop = tuple(spec.get("quiet_drop", ()))
    if not kinds or not set(kinds) <= set(KINDS) or not set(drop) <= set(KINDS):
        raise ChannelError(f"{where}: kinds 和 quiet_drop 只能取 {KINDS}")
    numbers = {}
    for key, default, low in (("per_minute", PER_MINUTE[kind], 0.01), ("retries", 3, 0),
                              ("backoff_seconds", 2.0, 0), ("timeout_seconds", 10.0, 0.1)):
        value = spec.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
            raise ChannelError(f"{where}: {key} 须为不小于 {low} 的数")
        numbers[key] = value
    if numbers["retries"] > 10:
        raise ChannelError(f"{where}: retries 至多 10")
    return Channel(name, kind, area, kinds, _quiet(where, spec.get("quiet")), drop, float(numbers["per_minute"]),
                   int(numbers["retries"]), float(numbers["backoff_seconds"]), float(numbers["timeout_seconds"]),
                   options)


def _quiet(where: str, text) -> tuple[int, int] | None:
    if text in (None, ""):
        return None
    parts = str(text).split("-")
    matched = [CLOCK.fullmatch(p.strip()) for p in parts]
    if len(parts) != 2 or not all(matched) or parts[0].strip() == parts[1].strip():
        raise ChannelError(f"{where}: quiet 须为 HH:MM-HH:MM，如 22:00-07:00")
    start, end = (int(m.group(1)) * 60 + int(m.group(2)) for m in matched)
    return start, end
