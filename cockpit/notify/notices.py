"""What there is to announce, read exactly as an account of the channel's area would see it.

Every warehouse read goes through the cockpit's read path (cockpit.queries `run`, with the
channel's Scope), so a channel's area narrows every query as an account's jurisdiction does: a
street's channel hears an incident only if that street's accounts see it on 预警研判 (its main
area or one of its grids in the street), never another street's. Texts come from the warehouse's
generated words (area and subclass names, counts, dates) through the personal-number scrubber;
no resident's free text (descriptions, addresses, names) is read at all.

Kinds:
- incident  an incident on today's early-warning screen (上报激增, storms, rules other than those on
            overdue items), announced when first seen, again when it changes (`change`), and
            when it ends;
- drop      the same for 上报骤减 / 网格静默;
- overdue   incidents of a rule on overdue items (metric "overdue" in the warning settings, e.g.
            街道超期积压骤增), with the channel area's count of items past their deadline;
- refresh   refreshes that failed, were refused (another run held the warehouse), were rejected
            by the publish checks or were interrupted, in the last REFRESH_LOOKBACK_HOURS (from
            the ETL's run log; no area: any channel that asks for the kind hears them);
- briefing  new files in the briefing archive (COCKPIT_BRIEFINGS/{area}/{daily|weekly}-{date}.pdf)
            made for the channel's own area, from the last BRIEFING_DAYS days."""
from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import health, run, warning as q
from cockpit.scope import Scope
from warehouse import state
from warehouse.personal import scrub

ENDED, ONGOING = "已结束", "进行中"
GROWTH = 1.5            # an incident is announced again when its grids or its excess grew this much
MIN_GROWTH = 3          # … and by at least this many (grids or reports)
LEVELS = ("grid", "community", "street", "district", "city")
LEVEL_NAMES = {"grid": "网格", "community": "社区", "street": "街道", "district": "区县", "city": "全市"}
REFRESH_COMMANDS = ("refresh", "refresh --incremental")
REFRESH_FAILED = {"failed": "失败", "rejected": "未通过发布检查，未发布", "refused": "未运行：另一次刷新尚未结束",
                  "interrupted": "中断：进程已终止"}
REFRESH_LOOKBACK_HOURS = 24
BRIEFING_DAYS = 7
BRIEFING_NAME = re.compile(r"(daily|weekly)-(\d{4}-\d{2}-\d{2})\.pdf")
BRIEFING_KINDS = {"daily": "每日简报", "weekly": "每周简报"}
SUBJECT_NAMES = 4


@dataclass(frozen=True)
class Notice:
    kind: str                           # incident | drop | overdue | refresh | briefing | test
    key: str                            # what deduplication knows it by
    state: dict                         # what a change is judged on (stored when announced)
    headline: str                       # after the title: the area's name, 增量刷新, 每日简报 2026-12-06
    area_name: str
    facts: tuple[tuple[str, str], ...]  # (label, text) lines
    link: str                           # a path of the cockpit: /m?incident=…
    as_of: str = ""                     # the data's as-of instant, as text
    attachment: Path | None = None      # a briefing's PDF (e-mail attaches it)
    change: str = ""                    # "" when first announced, else what changed (`change`)
    area_code: str = ""
    fresh: bool = True                  # an incident first alarmed within the screen's new_days (新发)

    def with_change(self, what: str) -> "Notice":
        return replace(self, change=what)


def change(old: dict | None, new: dict) -> str | None:
    """Whether a notice is announced: None (nothing new), "" (first time) or what changed. An
    incident again when its area grew a level, its grids or its excess grew by GROWTH (and by
    MIN_GROWTH at least) since it was last announced, and once when it ended; one that ended
    before it was ever announced is not (it is no longer on the screen)."""
    if old is None:
        return None if new.get("status") == ENDED else ""
    if old.get("status") == ENDED or "level" not in new:     # a run or a file: announced once
        return None
    if new["status"] == ENDED:
        return "已结束"
    said = []
    if LEVELS.index(new["level"]) > LEVELS.index(old["level"]):
        said.append(f"范围由{LEVEL_NAMES[old['level']]}扩大至{LEVEL_NAMES[new['level']]}")
    if new["n_grids"] >= max(old["n_grids"] * GROWTH, old["n_grids"] + MIN_GROWTH):
        said.append(f"涉及网格由 {old['n_grids']} 个增至 {new['n_grids']} 个")
    if abs(new["excess"]) >= max(abs(old["excess"]) * GROWTH, abs(old["excess"]) + MIN_GROWTH):
        which = "少于基线" if new["excess"] < 0 else "超出基线"
        said.append(f"{which}由 {abs(old['excess']):.0f} 件增至 {abs(new['excess']):.0f} 件")
    return "；".join(said) or None


def overdue_rules(settings_file: Path | None) -> set[str]:
    """Names of the warning settings' rules on overdue items (metric = "overdue"). The file is the
    one the ETL computes the warnings with (COCKPIT_WARNING_SETTINGS), read as a file: the read
    side imports nothing of the ETL."""
    if settings_file is None or not Path(settings_file).exists():
        return set()
    data = tomllib.loads(Path(settings_file).read_text(encoding="utf-8"))
    return {str(r.get("name")) for r in data.get("rule", []) if r.get("metric") == "overdue"}


def warning_settings_file(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("COCKPIT_WARNING_SETTINGS") or state.ROOT / "etl" / "warning" / "settings.toml")


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else scrub(str(value))


def _day(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _number(value, digits: int = 0) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):,.{digits}f}"


def subject_text(text) -> str:
    """At most SUBJECT_NAMES subclasses by name, then how many in all (as the screen shows them)."""
    names = [n for n in _text(text).split("、") if n]
    return "、".join(names[:SUBJECT_NAMES]) + (f" 等 {len(names)} 类" if len(names) > SUBJECT_NAMES else "")


def incidents(snap: Snapshot, scope: Scope, overdue: set[str], as_of: str) -> list[Notice]:
    """The incidents the scope sees that could be announced: today's screen, and ended ones (an
    ended incident is announced only if it was before: `change`)."""
    if not q.available(snap, scope):
        return []
    frame = q.incidents(snap, scope)
    frame = frame[frame["on_screen"].astype(bool) | (frame["status"] == ENDED)]
    out = []
    for r in frame.itertuples():
        kind = "drop" if r.kind == "drop" else "incident"
        rule = ""
        if r.kind == "rule":
            rules = set(q.incident_alerts(snap, scope, r.incident_id)["rule"].dropna())
            rule = next(iter(sorted(rules)), "")
            kind = "overdue" if rules & overdue else "incident"
        level = r.level if r.level in LEVELS else "grid"
        st = {"status": r.status, "level": level, "n_grids": int(r.n_grids),
              "excess": round(float(0 if pd.isna(r.excess) else r.excess), 1)}
        facts = []                       # the area is the headline
        if kind == "overdue":
            facts.append(("规则", _text(rule)))
        else:
            facts += [("类型", _text(r.kind_name) + (f"（{_text(rule)}）" if rule else "")),
                      ("类别", subject_text(r.subject))]
        since = f"{_day(r.first_day)} 起，告警 {int(r.alarm_days)} 天"
        facts.append(("时间", since if r.status == ONGOING else f"{_day(r.first_day)} 至 {_day(r.last_day)}"))
        if kind == "drop":
            facts.append(("规模", f"少于基线 {_number(abs(st['excess']), 1)} 件"))
        elif r.kind != "rule":
            facts.append(("规模", f"峰值为基线的 {_number(r.peak_ratio, 1)} 倍，超出基线 {_number(st['excess'], 1)} 件"))
        if int(r.n_grids) > 1:
            facts.append(("涉及网格", f"{int(r.n_grids)} 个"))
        facts.append(("依据", _text(r.reason)))
        if kind == "overdue":
            n = int(run(snap, "workflow__overdue_count", scope)["n"].iloc[0])
            facts.append(("本辖区超期在办", f"{n:,} 件"))
        if kind == "drop":
            facts.append(("请核实", "网格员是否在岗巡查、终端是否故障、网格是否调整"))
        out.append(Notice(kind, f"incident:{r.incident_id}", st, _text(r.area_name), _text(r.area_name), tuple(facts),
                          "/m?incident=" + quote(str(r.incident_id)), as_of, area_code=str(r.area_code),
                          fresh=bool(r.new)))
    return out


def refreshes(warehouse_path: Path, now: dt.datetime | None = None) -> list[Notice]:
    """Refreshes of the last REFRESH_LOOKBACK_HOURS that failed, were refused, rejected or
    interrupted (a killed run, whose process is gone), from the run log, oldest first."""
    runs = health.runs(warehouse_path, limit=200)
    if runs is None or runs.empty:
        return []
    cutoff = pd.Timestamp((now or dt.datetime.now()).astimezone()) - pd.Timedelta(hours=REFRESH_LOOKBACK_HOURS)
    recent = pd.to_datetime(runs["started_at"], utc=True, format="ISO8601") >= cutoff
    bad = runs[recent & runs["command"].isin(REFRESH_COMMANDS) & runs["status"].isin(list(REFRESH_FAILED))]
    out = []
    for r in bad.iloc[::-1].itertuples():
        facts = (("结果", REFRESH_FAILED[r.status]), ("开始", _clock(r.started_at)),
                 ("结束", _clock(r.ended_at) or "—"),
                 ("退出码", "—" if pd.isna(r.exit_code) else str(int(r.exit_code))),
                 ("影响", "已发布的数据不变，驾驶舱继续显示当前版本"))
        what = "增量刷新" if "--incremental" in r.command else "全量刷新"
        out.append(Notice("refresh", f"refresh:{r.run_id}", {"status": r.status}, what, "", facts,
                          "/health"))
    return out


def _clock(text) -> str:
    if text is None or (isinstance(text, float) and text != text) or not text:
        return ""
    stamp = dt.datetime.fromisoformat(str(text))
    return (stamp.astimezone() if stamp.tzinfo else stamp).strftime("%Y-%m-%d %H:%M")


def briefings_root(env: Mapping[str, str] = os.environ) -> Path:
    return Path(state.locate(env)["briefings"])


def briefings(root: Path, area: str, area_name: str, today: dt.date | None = None) -> list[Notice]:
    """The archive's briefings made for `area` itself (not its sub-areas: a district's group is not
    sent every street's), dated within the last BRIEFING_DAYS days, oldest first."""
    folder = Path(root) / area
    if not folder.is_dir():
        return []
    today = today or dt.date.today()
    out = []
    for path in sorted(folder.iterdir()):
        m = BRIEFING_NAME.fullmatch(path.name)
        if not m or not path.is_file():
            continue
        day = dt.date.fromisoformat(m.group(2))
        if not 0 <= (today - day).days <= BRIEFING_DAYS:
            continue
        what = BRIEFING_KINDS[m.group(1)]
        facts = (("区域", area_name), ("日期", m.group(2)), ("文件", f"PDF，{path.stat().st_size / 1024:,.0f} KB"))
        out.append(Notice("briefing", f"briefing:{area}/{path.name}", {"file": path.name}, f"{what} {m.group(2)}",
                          area_name, facts, f"/briefings/file/{area}/{quote(path.name)}", attachment=path,
                          area_code=area))
    return out
