"""Every file a running centre keeps and cannot rebuild from its exports: where each one lives
(its default, and the environment variable that moves it).

One list, read by the cockpit's settings (cockpit/config.py), the ETL and `python -m etl backup`:
a store added here is in every backup and every restore, with no other change. A file that can be
rebuilt (a generation other than the served one, the build folder, the refresh lock) or that
ships with the code is not listed.

Kinds: `warehouse` (the served generation and its pointer), `key` (a secret: copied with mode
0600), `sqlite` (copied with SQLite's online backup API, never `cp` while a process writes it),
`file` (a settings file, copied as is). A default of None means the file is kept only when its
variable names one (a settings file the centre wrote itself)."""
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
    kind: str                                          # warehouse | key | sqlite | file
    env: str | None                                    # the variable that moves it
    default: Callable[[dict], Path | None]             # from what is already located
    what: str


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
    Kept("accounts", "sqlite", "COCKPIT_ACCOUNTS", lambda _: DATA / "accounts.sqlite", "账号库 (accounts)"),
    Kept("audit", "sqlite", "COCKPIT_AUDIT", lambda _: DATA / "audit.sqlite", "审计日志 (audit log)"),
    Kept("api_tokens", "sqlite", "COCKPIT_API_TOKENS", lambda _: DATA / "api_tokens.sqlite", "开放接口令牌 (API tokens)"),
    Kept("warning_labels", "sqlite", "COCKPIT_LABELS", lambda _: DATA / "warning_labels.sqlite",
         "预警研判标记 (确认 / 误报 / 已处置)"),
    Kept("runs", "sqlite", None, _in_warehouse(runs.FILE), "运行记录 (the ETL's run log)"),
    Kept("warning_quality", "file", None, _in_warehouse("warning_quality.csv"),
         "预警评估结果 (evaluate-warnings --save)"),
    Kept("work_calendar", "file", "ETL_WORK_CALENDAR", lambda _: DATA / "work_calendar.toml",
         "工作日历：法定节假日与调休 (working days of every deadline)"),
    Kept("warning_settings", "file", "COCKPIT_WARNING_SETTINGS", lambda _: None, "预警设置 (early-warning settings)"),
    Kept("mapping", "file", "COCKPIT_MAPPING", lambda _: None, "文件名和列名映射 (the site's mapping)"),
    Kept("environment", "file", "COCKPIT_ENV_FILE", lambda _: None, "环境变量文件 (the services' settings)"),
)
BY_NAME = {k.name: k for k in KEPT}


def locate(env: Mapping[str, str] = os.environ, **given: Path | None) -> dict[str, Path | None]:
    """Where each kept file is: `given` (a command-line option), else its variable, else its
    default. Entries are located in order, so a default may follow an earlier entry."""
    found: dict[str, Path | None] = {}
    for kept in KEPT:
        if given.get(kept.name) is not None:
            found[kept.name] = Path(given[kept.name])
        elif kept.env and env.get(kept.env):
            found[kept.name] = Path(env[kept.env])
        else:
            found[kept.name] = kept.default(found)
    return found


def default(name: str) -> Path:
    """Where `name` lives when nothing is configured."""
    return locate({})[name]
