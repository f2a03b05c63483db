"""One settings object: defaults, then environment variables, then command-line options.

Where the kept files live (warehouse, keys, stores) is defined once, in warehouse/state.py, which
the ETL and its backup read too."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from cockpit.accounts import check_wall_pages
from warehouse import state

LOOPBACK = ("127.0.0.1", "::1")


def _paths(env) -> dict:
    found = state.locate(env)
    return {"warehouse": found["warehouse"], "accounts": found["accounts"], "audit": found["audit"],
            "api_tokens": found["api_tokens"], "labels": found["warning_labels"],
            "secret_key_file": found["session_key"], "vault_key_file": found["vault_key"],
            "briefings": found["briefings"]}


_DEFAULT_PATHS = _paths({})


@dataclass(frozen=True)
class Settings:
    # a warehouse directory (CURRENT names the served generation) or a single DuckDB file
    warehouse: Path = _DEFAULT_PATHS["warehouse"]
    host: str = "127.0.0.1"
    port: int = 8050
    threads: int = 8
    # cache keys name the generation, so an entry never goes stale; these only bound memory
    cache_seconds: int = 3600
    cache_entries: int = 2000
    refresh_seconds: int = 60        # how often open screens ask for new data
    # how often each web process looks for a newly published generation, to compute the screens of
    # every jurisdiction signed in before they ask (cockpit/ops/warm.py); 0: never
    warm_seconds: int = 5
    # accounts and the audit log live beside the warehouse, never inside a swapped generation
    accounts: Path = _DEFAULT_PATHS["accounts"]
    audit: Path = _DEFAULT_PATHS["audit"]
    audit_retention_days: int = 180
    # 研判 labels on early-warning incidents (确认 / 误报 / 已处置), beside accounts and the audit log
    labels: Path = _DEFAULT_PATHS["labels"]
    secret_key_file: Path = _DEFAULT_PATHS["secret_key_file"]   # signs session cookies (0600)
    secure_cookies: bool = False     # set when served over HTTPS (a reverse proxy)
    # a session ends after this long without a request, and in any case this long after signing
    # in (an open page polls every refresh_seconds, so idleness alone would never end it)
    session_idle_minutes: int = 30
    session_hours: int = 8
    # wall screens (role 大屏终端): the pages they rotate through and how long each shows; their
    # sessions last days (pinned to the screen's address: accounts/sessions.py) and end when
    # no request came for kiosk_idle_hours (a screen switched off over a weekend survives it)
    kiosk_pages: tuple[str, ...] = ("/",)
    kiosk_seconds: int = 60
    kiosk_session_days: int = 30
    kiosk_idle_hours: int = 72
    # who may show the cockpit in a frame (CSP frame-ancestors): 'none', 'self' or origins
    frame_ancestors: str = "'none'"
    # opens the ETL's sealed copy of personal data for the audited "show in full" action; the ETL
    # creates it beside its pseudonymisation key (etl/privacy/vault.py)
    vault_key_file: Path = _DEFAULT_PATHS["vault_key_file"]
    unmask_per_hour: int = 20        # full records one account may open in an hour
    # behind a reverse proxy: the proxies (addresses or networks) whose X-Forwarded-For is believed
    trusted_proxies: tuple[str, ...] = ()
    url_prefix: str = ""             # served under a sub-path, e.g. "/cockpit"
    monitor_from: tuple[str, ...] = LOOPBACK   # who may read /readyz and /metrics
    access_log: str = ""             # "" none, "-" stderr (journald), else a file, rotated
    access_log_max_mb: float = 50
    access_log_backups: int = 10
    people_pages_per_hour: int = 120  # pages of the resident register one account may list in an hour
    # the open read API (/api/v1/…): its clients' tokens (stored hashed), requests per minute each
    api_tokens: Path = _DEFAULT_PATHS["api_tokens"]
    api_per_minute: int = 120
    # several web processes or servers: the accounts, sessions, audit log, API tokens and labels in
    # one PostgreSQL database instead of the SQLite files above (postgresql://…), and the cache and
    # the API's rate limits in Redis (redis://…) instead of each process's memory
    database_url: str = field(default="", repr=False)     # may carry a password
    cache_url: str = field(default="", repr=False)
    # the daily and weekly briefings (简报): their archive, the areas `python -m cockpit.briefing
    # --all` makes them for (none: every district of the warehouse), the weekday of the weekly one
    briefings: Path = _DEFAULT_PATHS["briefings"]
    briefing_areas: tuple[str, ...] = ()
    briefing_weekday: int = 1        # ISO weekday: 1 = Monday (the week before), 0 = never

    @classmethod
    def from_env(cls, env=os.environ, **overrides) -> "Settings":
        read = {}
        for name, parse in _FROM_ENVIRONMENT.items():
            text = env.get(f"COCKPIT_{name.upper()}")
            if text or (text is not None and name in _EMPTY_MEANS_NONE):
                read[name] = parse(text)
        s = replace(cls(), **_paths(env), **read)
        s = replace(s, **{k: v for k, v in overrides.items() if v is not None})
        if not 0 <= s.briefing_weekday <= 7:
            raise ValueError(f"COCKPIT_BRIEFING_WEEKDAY 须为 1–7（星期一至星期日）或 0（不生成周报）：{s.briefing_weekday}")
        bad = [a for a in s.briefing_areas if not (a.isascii() and a.isdigit() and len(a) in (4, 6, 9, 12, 15))]
        if bad:
            raise ValueError(f"COCKPIT_BRIEFING_AREAS 须为区划或网格编码：{' '.join(bad)}")
        if s.kiosk_seconds < 5:
            raise ValueError(f"COCKPIT_KIOSK_SECONDS 至少 5 秒：{s.kiosk_seconds}")
        return replace(s, url_prefix=normal_prefix(s.url_prefix), kiosk_pages=check_wall_pages(s.kiosk_pages))

    def __post_init__(self):
        if self.database_url and not self.database_url.startswith(("postgresql://", "postgres://")):
            raise ValueError("COCKPIT_DATABASE_URL 须为 postgresql://用户@主机:端口/数据库")
        if self.cache_url and not self.cache_url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("COCKPIT_CACHE_URL 须为 redis://主机:端口/库号")

    def store(self, name: str) -> Path | str:
        """Where the store `name` (accounts, audit, api_tokens, labels) lives: the shared database when
        one is set, else its own SQLite file (cockpit.stores.open takes either)."""
        return self.database_url or getattr(self, name)


def _flag(text: str) -> bool:
    return text.lower() in ("1", "true", "yes")


def _list(text: str) -> tuple[str, ...]:
    """Addresses or networks, separated by commas or spaces."""
    return tuple(t for t in text.replace(",", " ").split() if t)


# the settings an environment variable sets: COCKPIT_<NAME> read by its parser (an empty value
# leaves the default, but for those in _EMPTY_MEANS_NONE, where it means "nobody")
_FROM_ENVIRONMENT = {
    "host": str, "port": int, "refresh_seconds": int, "warm_seconds": int, "audit_retention_days": int,
    "secure_cookies": _flag, "session_idle_minutes": int, "session_hours": int,
    "unmask_per_hour": int, "people_pages_per_hour": int, "kiosk_pages": _list,
    "kiosk_seconds": int, "kiosk_session_days": int, "kiosk_idle_hours": int,
    "frame_ancestors": str, "trusted_proxies": _list, "monitor_from": _list, "url_prefix": str,
    "access_log": str, "access_log_max_mb": float, "access_log_backups": int,
    "api_per_minute": int, "database_url": str, "cache_url": str, "briefing_areas": _list,
    "briefing_weekday": int,
}
_EMPTY_MEANS_NONE = {"monitor_from"}


def normal_prefix(prefix: str) -> str:
    """"/cockpit" for "cockpit", "/cockpit/" or "/cockpit"; "" for none or "/"."""
    parts = [p for p in (prefix or "").split("/") if p]
    if any(p in (".", "..") or not all(c.isalnum() or c in "-_." for c in p) for p in parts):
        raise ValueError(f"COCKPIT_URL_PREFIX 只能含字母、数字和 - _ . : {prefix!r}")
    return "/" + "/".join(parts) if parts else ""
