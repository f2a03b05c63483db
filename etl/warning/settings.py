"""Early-warning settings: settings.toml beside this module, or a site's own copy."""
from __future__ import annotations

import os
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


@dataclass(frozen=True)
class Settings:
    enabled: bool = True
    recent_days: int = 90
    max_alerts_per_day: int = 20
    active_days: int = 3
    nb_alpha: float = 0.001
    nb_min_count: int = 2
    cusum_k: float = 0.5
    cusum_h: float = 4.0
    scan_max_grids: int = 7
    scan_max_days: int = 7
    scan_replicates: int = 99
    scan_p_value: float = 0.01
    link_days: int = 3
    link_km: float = 1.5
    rules: tuple[Rule, ...] = field(default_factory=tuple)


def load(path: Path | None = None) -> Settings:
    path = Path(path or os.environ.get("COCKPIT_WARNING_SETTINGS") or DEFAULT_FILE)
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    nb, cu, sc, inc = (raw.get(k, {}) for k in ("negative_binomial", "cusum", "scan", "incidents"))
    rules = []
    for r in raw.get("rule", []):
        if r.get("metric") not in METRICS or r.get("level") not in RULE_LEVELS:
            raise SettingsError(f"{path}: 规则 {r.get('name')!r} 的 metric 须为 {METRICS}, "
                                f"level 须为 {RULE_LEVELS}")
        rules.append(Rule(str(r["name"]), r["metric"], r["level"], str(r.get("subclass", "all")),
                          float(r["threshold"])))
    d = Settings()
    return Settings(
        enabled=bool(raw.get("enabled", d.enabled)),
        recent_days=int(raw.get("recent_days", d.recent_days)),
        max_alerts_per_day=int(raw.get("max_alerts_per_day", d.max_alerts_per_day)),
        active_days=int(raw.get("active_days", d.active_days)),
        nb_alpha=float(nb.get("alpha", d.nb_alpha)), nb_min_count=int(nb.get("min_count", d.nb_min_count)),
        cusum_k=float(cu.get("k", d.cusum_k)), cusum_h=float(cu.get("h", d.cusum_h)),
        scan_max_grids=int(sc.get("max_grids", d.scan_max_grids)),
        scan_max_days=int(sc.get("max_days", d.scan_max_days)),
        scan_replicates=int(sc.get("replicates", d.scan_replicates)),
        scan_p_value=float(sc.get("p_value", d.scan_p_value)),
        link_days=int(inc.get("link_days", d.link_days)), link_km=float(inc.get("link_km", d.link_km)),
        rules=tuple(rules))
