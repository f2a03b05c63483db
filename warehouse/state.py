"""Every file a running centre keeps and cannot rebuild from its exports: where each one lives
(its default, and the environment variable that moves it).

One list, read by the cockpit's settings (cockpit/config.py), the ETL and `python -m etl backup`:
a store added here is in every backup and every restore, with no other change. A file that can be
rebuilt (a generation other than the served one, the build folder, the refresh lock) or that
ships with the code is not listed.

Kinds: `warehouse` (the served generation and its pointer), `key` (a secret: copied with mode
0600), `sqlite` (copied with SQLite's online backup API, never `cp` while a process writes it),
`file` (a settings file, copied as is), `folder` (a folder of files written once each, such as the
briefings archive: every file copied as is), `postgresql` (the database of several web servers'
state, COCKPIT_DATABASE_URL: dumped with pg_dump; a URL, not a path). A default of None means the
file is kept only when its variable names one (a settings file the centre wrote itself). An entry
`in_database` lives in that database instead of its file when the database is set."""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from warehouse import runs
from warehouse.paths import DATA


@dataclass(frozen=True)
class Kept:
    name: str
    kind: str                                          # warehouse | key | sqlite | file | folder | postgresql
    env: str | None                                    # the variable that moves it
    default: Callable[[dict], Path | None]             # from what is already located
    what: str
    in_database: bool = False                          # in COCKPIT_DATABASE_URL's database when that is set


def _in_warehouse(name: str) -> Callable[[dict], Path | None]:
    """A file beside the generations; none for a single-file warehouse (nothing runs there)."""
    return lambda found: None if found["warehouse"].suffix == ".duckdb" else found["warehouse"] / name


KEPT: tuple[Kept, ...] = (
    Kept("warehouse", "warehouse", "COCKPIT_WAREHOUSE", lambda _: DATA / "warehouse",
         "数据仓库：当前发布的数据版本 (the served generation)"),
    Kept("pseudonym_key", "key", "COCKPIT_PSEUDONYM_KEY_FILE", lambda _: DATA / "secrets" / "pseudonym.key",
         "假名化密钥：丢失则与历史数据无法关联 (linkage with all earlier data)"),
    Kept("vault_key", "key", "COCKPIT_VAULT_KEY_FILE",
         lambda found: found["pseudonym_key"].parent / "vault.key",     # the ETL writes it there
         "加密库密钥：丢失则无法查看完整信息 (every sealed record)"),
    Kept("session_key", "key", "COCKPIT_SECRET_KEY_FILE", lambda _: DATA / "secrets" / "session.key",
         "会话签名密钥 (session cookies)"),
    Kept("accounts", "sqlite", "COCKPIT_ACCOUNTS", lambda _: DATA / "accounts.sqlite", "账号库 (accounts)", True),
    Kept("audit", "sqlite", "COCKPIT_AUDIT", lambda _: DATA / "audit.sqlite", "审计日志 (audit log)", True),
    Kept("api_tokens", "sqlite", "COCKPIT_API_TOKENS", lambda _: DATA / "api_tokens.sqlite", "开放接口令牌 (API tokens)", True),
    Kept("warning_labels", "sqlite", "COCKPIT_LABELS", lambda _: DATA / "warning_labels.sqlite",
         "预警研判标记 (确认 / 误报 / 已处置)", True),
    Kept("database", "postgresql", "COCKPIT_DATABASE_URL", lambda _: None,
         "状态数据库：账号、会话、审计日志、开放接口令牌、研判标记 (the shared state, PostgreSQL)"),
    Kept("notify", "sqlite", "COCKPIT_NOTIFY_STORE", lambda _: DATA / "notify.sqlite",
         "推送记录：已通知的事件与投递日志 (push: what each channel was told, deliveries)"),
    Kept("runs", "sqlite", None, _in_warehouse(runs.FILE), "运行记录 (the ETL's run log)"),
    Kept("warning_quality", "file", None, _in_warehouse("warning_quality.csv"),
         "预警评估结果 (evaluate-warnings --save)"),
    Kept("briefings", "folder", "COCKPIT_BRIEFINGS", lambda _: DATA / "briefings",
         "简报存档：每日与每周简报的 PDF 和 PNG (the briefings archive)"),
    Kept("work_calendar", "file", "ETL_WORK_CALENDAR", lambda _: DATA / "work_calendar.toml",
         "工作日历：法定节假日与调休 (working days of every deadline)"),
    Kept("warning_settings", "file", "COCKPIT_WARNING_SETTINGS", lambda _: None, "预警设置 (early-warning settings)"),
    Kept("mapping", "file", "COCKPIT_MAPPING", lambda _: None, "文件名和列名映射 (the site's mapping)"),
    Kept("notify_channels", "file", "COCKPIT_NOTIFY_CHANNELS", lambda _: DATA / "notify.toml",
         "推送渠道 (push channels: robots, webhooks, e-mail)"),
    Kept("environment", "file", "COCKPIT_ENV_FILE", lambda _: None, "环境变量文件 (the services' settings)"),
)
BY_NAME = {k.name: k for k in KEPT}


def locate(env: Mapping[str, str] = os.environ, **given: Path | None) -> dict[str, Path | str | None]:
    """Where each kept file is: `given` (a command-line option), else its variable, else its
    default (a database: its URL). Entries are located in order, so a default may follow an
    earlier entry."""
    found: dict[str, Path | str | None] = {}
    for kept in KEPT:
        as_is = str if kept.kind == "postgresql" else Path
        if given.get(kept.name) is not None:
            found[kept.name] = as_is(given[kept.name])
        elif kept.env and env.get(kept.env):
            found[kept.name] = as_is(env[kept.env])
        else:
            found[kept.name] = kept.default(found)
    return found


def default(name: str) -> Path:
    """Where `name` lives when nothing is configured."""
    return locate({})[name]
