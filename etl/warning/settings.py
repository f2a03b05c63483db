"""Early-warning settings: settings.toml beside this module, or a site's own copy."""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_FILE = Path(__file__).with_name("settings.toml")
METRICS = ("reported", "open", "overdue")
RULE_LEVELS = ("grid", "community", "street", "district", "city")


class SettingsError(ValueError):
    """The settings file names something that does not exist."""


@dataclass(frozen=True)
class Rule:
    name: str
    metric: str
    level: str
    subclass: str
    threshold: float
    ratio: float | None = None       # × the area's own median over history_days, if set
    history_days: int = 56


@dataclass(frozen=True)
class Period:
    """A step-shaped season: its own level in the baseline, and another for its first days."""
    name: str
    start: tuple[int, int]           # (month, day)
    end: tuple[int, int]             # inclusive; before start: the period runs over the new year
    onset_days: int = 21


@dataclass(frozen=True)
class Settings:
    enabled: bool = True
    max_items: int = 20
    max_drop_items: int = 5
    hold_days: int = 2
    new_days: int = 3
    recent_days: int = 90
    windows: tuple[int, ...] = (1, 2, 3, 5, 7, 14, 28)
    threshold: float = 6.0
    level_thresholds: tuple[tuple[str, float], ...] = ()   # (level, −log10 p) where not `threshold`
    storm_floor: float = 2.0
    storm_threshold: float = 6.0
    min_excess: float = 3.0
    min_ratio: float = 1.5
    neighbours: int = 6
    drop_windows: tuple[int, ...] = (5, 7, 14)
    drop_threshold: float = 4.0
    drop_min_expected: float = 6.0
    drop_max_ratio: float = 0.3
    patrol_source: str = "网格员巡查"
    periods: tuple[Period, ...] = ()
    link_days: int = 3
    link_km: float = 1.5
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    def threshold_of(self, level: str) -> float:
        return dict(self.level_thresholds).get(level, self.threshold)

    @property
    def lowest_threshold(self) -> float:
        return min([self.threshold, *(v for _, v in self.level_thresholds)])

    @property
    def lead_days(self) -> int:
        """Days a detector reads before the first day it reports on (its longest window)."""
        return max(max(self.windows), max(self.drop_windows))

    @property
    def lookback_days(self) -> int:
        """Days detection reads before the first day it reports on: the longest window, or a
        rule's history of the reports. Each day's records then read whole windows and histories
        whatever day detection starts on, so a run keeps the days detected before (detections.py)."""
        return max([self.lead_days, *(r.history_days for r in self.rules if r.metric == "reported"
                                      and r.ratio is not None)])


def _month_day(text: str, where: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", str(text).strip())
    if not m or not (1 <= int(m[1]) <= 12 and 1 <= int(m[2]) <= 31):
        raise SettingsError(f"{where}: 日期须为 月-日, 如 10-25 (month-day), 而不是 {text!r}")
    return int(m[1]), int(m[2])


def _windows(values, where: str) -> tuple[int, ...]:
    out = tuple(sorted({int(v) for v in values}))
    if not out or out[0] < 1:
        raise SettingsError(f"{where}: windows 须为正整数天数 (positive day counts)")
    return out


def load(path: Path | None = None) -> Settings:
    path = Path(path or os.environ.get("COCKPIT_WARNING_SETTINGS") or DEFAULT_FILE)
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    ex, dr, inc = (raw.get(k, {}) for k in ("excess", "drop", "incidents"))
    rules = []
    for r in raw.get("rule", []):
        if r.get("metric") not in METRICS or r.get("level") not in RULE_LEVELS:
            raise SettingsError(f"{path}: 规则 {r.get('name')!r} 的 metric 须为 {METRICS}, "
                                f"level 须为 {RULE_LEVELS}")
        rules.append(Rule(str(r["name"]), r["metric"], r["level"], str(r.get("subclass", "all")),
                          float(r["threshold"]), float(r["ratio"]) if r.get("ratio") is not None else None,
                          int(r.get("history_days", 56))))
    periods = tuple(Period(str(q["name"]), _month_day(q["start"], f"{path}: {q.get('name')}"),
                           _month_day(q["end"], f"{path}: {q.get('name')}"), int(q.get("onset_days", 21)))
                    for q in raw.get("period", []))
    d = Settings()
    s = Settings(
        enabled=bool(raw.get("enabled", d.enabled)),
        max_items=int(raw.get("max_items", d.max_items)),
        max_drop_items=int(raw.get("max_drop_items", d.max_drop_items)),
        hold_days=int(raw.get("hold_days", d.hold_days)), new_days=int(raw.get("new_days", d.new_days)),
        recent_days=int(raw.get("recent_days", d.recent_days)),
        windows=_windows(ex.get("windows", d.windows), f"{path} [excess]"),
        threshold=float(ex.get("threshold", d.threshold)),
        level_thresholds=tuple((str(k), float(v)) for k, v in ex.get("level_thresholds", {}).items()),
        storm_floor=float(ex.get("storm_floor", d.storm_floor)),
        storm_threshold=float(ex.get("storm_threshold", d.storm_threshold)), min_excess=float(ex.get("min_excess", d.min_excess)),
        min_ratio=float(ex.get("min_ratio", d.min_ratio)), neighbours=int(ex.get("neighbours", d.neighbours)),
        drop_windows=_windows(dr.get("windows", d.drop_windows), f"{path} [drop]"),
        drop_threshold=float(dr.get("threshold", d.drop_threshold)),
        drop_min_expected=float(dr.get("min_expected", d.drop_min_expected)),
        drop_max_ratio=float(dr.get("max_ratio", d.drop_max_ratio)),
        patrol_source=str(dr.get("patrol_source", d.patrol_source)),
        periods=periods,
        link_days=int(inc.get("link_days", d.link_days)), link_km=float(inc.get("link_km", d.link_km)),
        rules=tuple(rules))
    unknown = {k for k, _ in s.level_thresholds} - {"grid", "nbhd", "community", "street", "district", "city"}
    if unknown:
        raise SettingsError(f"{path}: level_thresholds 的层级须为 grid, nbhd, community, street, district, city: {unknown}")
    if s.max_drop_items > s.max_items or s.hold_days < 1:
        raise SettingsError(f"{path}: max_drop_items 不能大于 max_items, hold_days 至少为 1")
    return s
