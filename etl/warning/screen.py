"""The screen (预警研判) day by day, as each daily refresh shows it: what alarmed, which incident
each alarm belongs to, and which incidents the day's screen holds (docs/design.md, "Early warning").

Everything here is causal: the result for a day reads the reports up to that day and baselines
fitted on the days before their 4-week block, so the daily refresh (the last day of a short span)
and the replay (every day of the history) are one computation.

1. `detect`: every series (row × tier, prepare.py) is tested on each day, for each window w of
   the settings, on its reports of the last w days against the baseline: the negative-binomial
   upper tail for an excess, the lower tail for a drop (grids and communities, all reports and
   patrol reports only). Rules are checked too.
2. `reset`: an excess series starts afresh after an alarm: its next alarm may only use windows
   that begin after it, so the reports of one spike never alarm twice.
3. `track`: an alarm joins an open incident (one that alarmed in the last link_days days) of its
   own series; else, for a grid, 片区 or community, one whose grids are the same or neighbours and
   whose subclasses overlap or which began within link_days (a storm of several subclasses);
   else, for a street or larger, the fine incidents whose excess explains half of its own (it adds
   nothing new), or an incident of a containing or contained area of an overlapping tier; else it
   starts an incident. A coarse area's alarm never swallows the fine incidents inside it.
4. `show`: the incidents that alarmed in the last hold_days days, new ones first then by score;
   drops in their own list, capped apart."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from etl.warning import detectors, panel
from etl.warning.prepare import ALL, FINE, LEVELS, MULTI, NBHD, PATROL, Prepared, Tier
from etl.warning.settings import Settings

EXCESS, DROP, RULE = "excess", "drop", "rule"
KIND_NAMES = {EXCESS: "上报激增", DROP: "上报骤减", RULE: "规则"}
DROP_LEVELS = ("grid", "community")
STORM_LEVELS = ("grid", NBHD, "community")
RECORD_COLUMNS = ["kind", "tier", "row", "day", "window", "observed", "expected", "score", "rule", "today",
                  "today_expected", "members"]
EXPLAINED = 0.5                  # a coarse alarm is the fine incidents' if they hold this share of its excess
STORM_MIN_COUNT = 2              # a subclass joins a storm with at least 2 reports in the window …
STORM_MIN_EXCESS = 1.5           # … at least 1.5 above expectation


def _records(kind, tier, rows, days, window, observed, expected, score, rule=None, today=None,
             today_expected=None, members=None) -> pd.DataFrame:
    n = len(rows)
    return pd.DataFrame({"kind": kind, "tier": np.full(n, tier, np.int32), "row": rows.astype(np.int32),
                         "day": days.astype(np.int32), "window": np.full(n, window, np.int16),
                         "observed": observed.astype(float), "expected": expected.astype(float),
                         "score": score.astype(float), "rule": rule,
                         "today": np.full(n, np.nan) if today is None else today.astype(float),
                         "today_expected": np.full(n, np.nan) if today_expected is None else today_expected.astype(float),
                         "members": members})


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
        RECORD_COLUMNS, ["object", "int32", "int32", "int32", "int16", "float", "float", "float", "object",
                         "float", "float", "object"])})


def _concat(parts: list) -> pd.DataFrame:
    parts = [x for x in parts if len(x)]
    return pd.concat(parts, ignore_index=True) if parts else _empty()


def _full(defined: np.ndarray, w: int) -> np.ndarray:
    """Days whose window of w days has an expectation on every day."""
    return detectors.window_sums(defined.astype(np.int32), w) == w


def excess_records(a: panel.Arrays, tier: int, rows_ok: np.ndarray, first: int, days: np.ndarray,
                   s: Settings, floor: float, storm_rows: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every (row, day ≥ first, window) whose reports exceed the baseline enough to alarm (score
    at least `floor`), and — for a subclass, on `storm_rows` — the weaker excesses a storm adds up."""
    defined = np.isfinite(a.mu)
    mu = np.nan_to_num(a.mu)
    today = defined & (a.y >= 1) & (a.y > mu) & rows_ok[:, None]
    today[:, :first] = False
    weak_rows = np.zeros(len(rows_ok), bool) if storm_rows is None else storm_rows & rows_ok
    if not today.any() and not weak_rows.any():
        return _empty(), _empty()
    out, weak = [], []
    for w in s.windows:
        c, b = detectors.window_sums(a.y, w), detectors.window_sums(mu, w)
        full = _full(defined, w) & (b > 0) & (c >= s.min_ratio * b)
        strong = today & full & (c - b >= s.min_excess)
        light = full & weak_rows[:, None] & (c >= STORM_MIN_COUNT) & (c - b >= STORM_MIN_EXCESS)
        light[:, :first] = False
        r, t = np.nonzero(strong | light)
        if not len(r):
            continue
        cc, bb = c[r, t], b[r, t]
        v = detectors.window_sums(a.var, w)[r, t]
        score = -np.log10(np.maximum(detectors.nb_tail(cc, bb, detectors.sum_dispersion(bb, v)), 1e-300))
        for mask, cut, sink in ((strong[r, t], floor, out), (light[r, t], s.storm_floor, weak)):
            k = mask & (score >= cut)
            sink.append(_records(EXCESS, tier, r[k], days[t[k]], w, cc[k], bb[k], score[k],
                                 today=a.y[r[k], t[k]], today_expected=mu[r[k], t[k]]))
    return _concat(out), _concat(weak)


def drop_records(a: panel.Arrays, tier: int, rows_ok: np.ndarray, first: int, days: np.ndarray,
                 s: Settings, floor: float) -> pd.DataFrame:
    """Every (row, day ≥ first, window) whose reports fell far below the baseline."""
    defined = np.isfinite(a.mu)
    mu = np.nan_to_num(a.mu)
    today = defined & (a.y <= mu) & rows_ok[:, None]
    today[:, :first] = False
    out = []
    for w in s.drop_windows:
        c, b = detectors.window_sums(a.y, w), detectors.window_sums(mu, w)
        hit = today & (b >= s.drop_min_expected) & (c <= s.drop_max_ratio * b) & _full(defined, w)
        r, t = np.nonzero(hit)
        if not len(r):
            continue
        cc, bb = c[r, t], b[r, t]
        v = detectors.window_sums(a.var, w)[r, t]
        score = -np.log10(np.maximum(detectors.nb_lower(cc, bb, detectors.sum_dispersion(bb, v)), 1e-300))
        keep = score >= floor
        out.append(_records(DROP, tier, r[keep], days[t[keep]], w, cc[keep], bb[keep], score[keep],
                            today=a.y[r[keep], t[keep]], today_expected=mu[r[keep], t[keep]]))
    return _concat(out)


def reported_rule_records(a: panel.Arrays, tier: int, rule, rows: np.ndarray, first: int,
                          days: np.ndarray, s: Settings) -> pd.DataFrame:
    """A rule on the reports of a day: at or over its threshold and, if it has a ratio, that many
    times the area's own median over the history_days days before."""
    y = a.y[rows]
    hit = y >= rule.threshold
    hit[:, :first] = False
    r, t = np.nonzero(hit)
    value = y[r, t]
    reference = np.full(len(r), np.nan)
    if rule.ratio is not None and len(r):
        reference = np.array([np.median(y[i, max(0, j - rule.history_days):j]) if j > 0 else np.nan
                              for i, j in zip(r, t)])
        ok = np.isfinite(reference) & (value >= rule.ratio * reference)
        r, t, value, reference = r[ok], t[ok], value[ok], reference[ok]
    return _records(RULE, tier, rows[r], days[t], 1, value, reference, _rule_score(value, rule, s), rule.name,
                    today=value)


def _rule_score(value, rule, s: Settings) -> np.ndarray:
    """A rule met ranks like an alarm at the threshold; more above it, higher."""
    return s.threshold * np.asarray(value, float) / rule.threshold


def backlog_rule_records(history: pd.DataFrame, rule, tier_of: dict, row_of: dict, s: Settings) -> pd.DataFrame:
    """A rule on the backlog at each day's end (`history`: backlog.history)."""
    h = history
    if rule.ratio is not None:
        h = h[h["reference"].notna() & (h["value"] >= rule.ratio * h["reference"])]
    rows = h["area_code"].map(row_of)
    tiers = h["subclass_code"].fillna(ALL).map(tier_of)
    h = h[rows.notna() & tiers.notna()]
    if h.empty:
        return _empty()
    value = h["value"].to_numpy(float)
    out = _records(RULE, 0, rows[h.index].to_numpy(int), h["day"].to_numpy(), 1, value,
                   h["reference"].to_numpy(float), _rule_score(value, rule, s), rule.name, today=value)
    return out.assign(tier=tiers[h.index].to_numpy(np.int32))


def storms(weak: pd.DataFrame, tier: int, s: Settings) -> pd.DataFrame:
    """Several subclasses up at once in one place and window (each at p < 10^-storm_floor with 2
    or more reports): one record whose score is the sum of theirs, for the MULTI tier."""
    if weak.empty:
        return _empty()
    key = ["row", "day", "window"]
    n = weak.groupby(key, sort=False)["score"].transform("size")
    w = weak[n.to_numpy() >= 2].sort_values(key + ["score"], ascending=[True, True, True, False], kind="stable")
    if w.empty:
        return _empty()
    g = w.groupby(key, sort=False)
    agg = g.agg(score=("score", "sum"), observed=("observed", "sum"), expected=("expected", "sum"),
                today=("today", "sum"), today_expected=("today_expected", "sum")).reset_index()
    starts = np.flatnonzero(np.r_[True, (np.diff(w[key].to_numpy(), axis=0) != 0).any(axis=1)])
    tiers = w["tier"].to_numpy()
    agg["members"] = [tuple(int(x) for x in tiers[a:b]) for a, b in zip(starts, np.r_[starts[1:], len(w)])]
    agg = agg[(agg["today"] >= 1) & (agg["today"] > agg["today_expected"])]
    return _records(EXCESS, tier, agg["row"].to_numpy(), agg["day"].to_numpy(), 0, agg["observed"].to_numpy(),
                    agg["expected"].to_numpy(), agg["score"].to_numpy(), today=agg["today"].to_numpy(),
                    today_expected=agg["today_expected"].to_numpy(),
                    members=agg["members"].to_numpy()).assign(window=agg["window"].to_numpy(np.int16))


def reset(records: pd.DataFrame) -> pd.DataFrame:
    """Excess records → alarms: one per series and day, from the best window that starts after
    the series' previous alarm (all windows for its first)."""
    if records.empty:
        return records
    r = records.sort_values(["tier", "row", "day", "score"], ascending=[True, True, True, False],
                            kind="stable").reset_index(drop=True)
    tier, row, day, window = (r[c].to_numpy() for c in ("tier", "row", "day", "window"))
    keep = np.zeros(len(r), bool)
    last_series, last_alarm, taken_day = None, -10**9, -1
    for i in range(len(r)):
        series = (tier[i], row[i])
        if series != last_series:
            last_series, last_alarm, taken_day = series, -10**9, -1
        if day[i] == taken_day or window[i] > day[i] - last_alarm:
            continue
        keep[i] = True                      # the best allowed window of the day (sorted by score)
        taken_day = last_alarm = day[i]
    return r[keep].reset_index(drop=True)


def best_per_day(records: pd.DataFrame) -> pd.DataFrame:
    """One alarm per series (and rule) and day: its strongest window."""
    if records.empty:
        return records
    key = ["kind", "tier", "row", "day", "rule"]
    r = records.assign(rule=records["rule"].fillna(""))
    r = r.sort_values("score", ascending=False, kind="stable").drop_duplicates(key)
    return r.assign(rule=r["rule"].replace("", None)).sort_values(key, kind="stable").reset_index(drop=True)


@dataclass
class Detected:
    records: pd.DataFrame                 # excess, drop and rule records at or above the floor
    weak: pd.DataFrame                    # subclasses' weaker excesses, for storms
    n_series: int                         # excess series tested per day (for the detection ceiling)
    n_drop_series: int


def detect(p: Prepared, s: Settings, first: int, last: int, backlog=None,
           hook: Callable[[int, Tier, panel.Arrays, np.ndarray], None] | None = None,
           floor: float | None = None, drop_floor: float | None = None) -> Detected:
    """Records of the days first … last (indices into p.cal.days), whatever their level's
    threshold (`floor`: the lowest, unless given lower to try others). Arrays start s.lead_days
    earlier, so every window is whole. `backlog(rule)` → the backlog history of a rule on open or
    overdue items (backlog.history); `hook(tier_index, tier, arrays, days)` sees every tier's
    arrays (the evaluation's comparators)."""
    floor = s.lowest_threshold if floor is None else floor
    drop_floor = s.drop_threshold if drop_floor is None else drop_floor
    lo = max(0, first - s.lead_days)
    days = np.arange(lo, last + 1)
    start = first - lo
    rows = p.rows
    levels = rows.levels
    ok = ~rows.skip
    drop_ok = ok & np.isin(levels, DROP_LEVELS)
    storm_rows = np.isin(levels, STORM_LEVELS)
    parts, weak, n_series = [], [], 0
    tier_index = {t.code: i for i, t in enumerate(p.tiers)}
    for tier, a in panel.tier_arrays(p, days):
        i = tier_index[tier.code]
        if hook is not None:
            hook(i, tier, a, days)
        if tier.kind != "patrol":
            strong, light = excess_records(a, i, ok, start, days, s, floor,
                                           storm_rows if tier.kind == "subclass" else None)
            parts.append(strong)
            weak.append(light)
            n_series += int(ok.sum())
        if tier.kind in ("all", "patrol"):
            parts.append(drop_records(a, i, drop_ok, start, days, s, drop_floor))
        for rule in s.rules:
            if rule.metric == "reported" and _rule_tier(rule, tier):
                # a rule is set for its level: it holds on an area with a finer one's grids too
                parts.append(reported_rule_records(a, i, rule, np.flatnonzero(levels == rule.level),
                                                   start, days, s))
    if backlog is not None:
        row_of = {c: r for r, c in enumerate(rows.codes[:rows.n_areas])}
        for rule in s.rules:
            if rule.metric != "reported":
                parts.append(backlog_rule_records(backlog(rule), rule, tier_index, row_of, s))
    return Detected(_concat(parts), _concat(weak), n_series, 2 * int(drop_ok.sum()))


def alarms_of(p: Prepared, s: Settings, found: Detected) -> pd.DataFrame:
    """The records that alarm under the settings' thresholds (each level its own), storms added,
    excess series reset after each alarm: one alarm per series and day."""
    r = found.records
    levels = p.rows.levels[r["row"].to_numpy()]
    cut = np.array([s.threshold_of(lv) for lv in levels]) if len(r) else np.zeros(0)
    excess = r[(r["kind"] == EXCESS).to_numpy() & (r["score"].to_numpy() >= cut)]
    drops = r[(r["kind"] == DROP) & (r["score"] >= s.drop_threshold)]
    multi = next(i for i, t in enumerate(p.tiers) if t.code == MULTI)
    storm = storms(found.weak, multi, s)
    storm = storm[storm["score"] >= s.storm_threshold]
    alarms = _concat([reset(_concat([excess, storm])), best_per_day(_concat([drops, r[r["kind"] == RULE]]))])
    return alarms.sort_values(["day", "kind", "tier", "row"], kind="stable").reset_index(drop=True)


def _rule_tier(rule, tier: Tier) -> bool:
    if rule.subclass == "all":
        return tier.kind == "all"
    if rule.subclass == "*":
        return tier.kind == "subclass"
    return tier.kind == "subclass" and tier.code == rule.subclass


# --- incidents -----------------------------------------------------------------------------

@dataclass
class Incident:
    id: str
    kind: str
    fine: bool
    first: int
    last: int
    grids: set = field(default_factory=set)
    tiers: set = field(default_factory=set)
    focus: set = field(default_factory=set)          # the tiers it is about (all reports only if nothing narrower)
    recent: dict = field(default_factory=dict)       # day → grids its alarms that day cover
    series: set = field(default_factory=set)
    peak: float = 0.0
    scores: dict = field(default_factory=dict)       # day → strongest alarm that day
    excess: dict = field(default_factory=dict)       # day → largest excess (observed − expected) that day
    tags: dict = field(default_factory=dict)         # day → tags of its alarms that day (evaluation)


def incident_id(kind: str, day: np.datetime64, area_code: str, tier_code: str) -> str:
    """Stable across refreshes: the same first alarm gives the same id (labels attach to it)."""
    digest = hashlib.sha1(f"{kind}|{day}|{area_code}|{tier_code}".encode()).hexdigest()[:6]
    return f"YJ{pd.Timestamp(day):%y%m%d}-{digest}"


class Tracker:
    def __init__(self, p: Prepared, s: Settings):
        self.p, self.s = p, s
        self.rows = p.rows
        self.level_rank = np.array([LEVELS.index(lv) for lv in p.rows.levels])
        self.fine_row = np.isin(p.rows.levels, list(FINE))
        members = [set(t.members) | ({PATROL} if t.kind in ("all", "patrol") else set()) for t in p.tiers]
        n = len(p.tiers)
        self.related = np.array([[bool(members[i] & members[j]) for j in range(n)] for i in range(n)])
        self.all_tier = next(i for i, t in enumerate(p.tiers) if t.code == ALL)
        self.broad = {i for i, t in enumerate(p.tiers) if t.kind in ("all", "multi")}
        index = {t.code: i for i, t in enumerate(p.tiers)}
        self.class_members = {i: {index[m] for m in t.members if m in index}
                              for i, t in enumerate(p.tiers) if t.kind == "class"}
        self._halo: dict[int, set] = {}
        self._mask: dict[int, np.ndarray] = {}
        self.parent: dict[str, str] = {}
        self.incidents: dict[str, Incident] = {}
        self.open: dict[str, Incident] = {}
        self.by_series: dict[tuple, str] = {}

    def halo(self, row: int) -> set:
        if row not in self._halo:
            fp = self.rows.footprint(row)
            self._halo[row] = set(np.concatenate([self.p.near[g] for g in fp]).tolist()) if len(fp) else set()
        return self._halo[row]

    def mask(self, row: int) -> np.ndarray:
        if row not in self._mask:
            m = np.zeros(self.p.areas.n_grids, bool)
            m[self.rows.footprint(row)] = True
            self._mask[row] = m
        return self._mask[row]

    def find(self, key: str) -> str:
        while self.parent.get(key, key) != key:
            key = self.parent[key]
        return key

    def _new(self, kind, fine, a) -> Incident:
        p = self.p
        inc = Incident(incident_id(kind, p.cal.days[a.day], self.rows.codes[a.row],
                                   (a.rule or "") + p.tiers[a.tier].code), kind, fine, a.day, a.day)
        while inc.id in self.incidents:               # a digest collision on the same day
            inc.id += "x"
        self.incidents[inc.id] = self.open[inc.id] = inc
        return inc

    def _merge(self, keep: Incident, other: Incident) -> None:
        if other is keep:
            return
        self.parent[other.id] = keep.id
        keep.first = min(keep.first, other.first)
        keep.last = max(keep.last, other.last)
        keep.grids |= other.grids
        keep.tiers |= other.tiers
        keep.focus |= other.focus
        if len(keep.focus - self.broad):
            keep.focus -= self.broad
        for day, g in other.recent.items():
            keep.recent[day] = keep.recent.get(day, set()) | g
        keep.series |= other.series
        keep.peak = max(keep.peak, other.peak)
        for d in (keep.scores, keep.excess):
            src = other.scores if d is keep.scores else other.excess
            for day, v in src.items():
                d[day] = max(d.get(day, v), v)
        for day, v in other.tags.items():
            keep.tags[day] = keep.tags.get(day, frozenset()) | v
        for key in other.series:
            self.by_series[key] = keep.id
        self.open.pop(other.id, None)

    def _attach(self, inc: Incident, a, tags, grow: bool = True) -> None:
        """Add an alarm; `grow`: its subclasses join what the incident is about (only while it is
        forming, or when it is about nothing narrower yet)."""
        key = (a.kind, a.tier, a.row, a.rule)
        self.by_series[key] = inc.id
        inc.series.add(key)
        inc.tiers.add(a.tier)
        # an all-reports alarm does not make an incident about everything: it stays about its
        # subclasses (a storm's are those that rose together)
        narrow = set(a.members) if isinstance(a.members, tuple) else {a.tier} - self.broad
        # a class alarm adds nothing to an incident already about one of the class's subclasses
        narrow = {k for k in narrow if not (self.class_members.get(k, set()) & inc.focus)}
        if narrow and (grow or not inc.focus - self.broad or self._related(a, inc)):
            inc.tiers |= narrow
            inc.focus = (inc.focus | narrow) - self.broad
        elif not inc.focus:
            inc.focus.add(a.tier)
        if self.fine_row[a.row] or not inc.fine:
            grids = set(self.rows.footprint(a.row).tolist())
            inc.grids |= grids
            inc.recent[a.day] = inc.recent.get(a.day, set()) | grids
        inc.last = max(inc.last, a.day)
        inc.peak = max(inc.peak, a.score)
        inc.scores[a.day] = max(inc.scores.get(a.day, a.score), a.score)
        e = a.observed - a.expected
        inc.excess[a.day] = max(inc.excess.get(a.day, e), e) if a.kind != DROP else min(inc.excess.get(a.day, e), e)
        if tags:
            inc.tags[a.day] = inc.tags.get(a.day, frozenset()) | tags

    def _where(self, inc: Incident, t: int) -> set:
        """The grids of its alarms of the last link_days days: an incident is matched where it is
        now, so a long one does not grow to take in every later alarm around it."""
        return set().union(*(g for d, g in inc.recent.items() if d >= t - self.s.link_days))

    def _related(self, a, inc: Incident) -> bool:
        tiers = a.members if isinstance(a.members, tuple) else (a.tier,)
        return any(self.related[m, k] for m in tiers for k in inc.focus)

    def _same(self, one: Incident, other: Incident) -> bool:
        return any(self.related[m, k] for m in one.focus for k in other.focus)

    def _recent_excess(self, inc: Incident, since: int) -> float:
        return max((abs(v) for d, v in inc.excess.items() if d >= since), default=0.0)

    def day(self, t: int, alarms: pd.DataFrame, tags=None) -> list[str]:
        """Process the alarms of day t; returns each alarm's incident id."""
        s = self.s
        for key in [k for k, inc in self.open.items() if inc.last < t - max(s.link_days, s.hold_days)]:
            self.open.pop(key)
        order = np.lexsort((-alarms["score"].to_numpy(), self.level_rank[alarms["row"].to_numpy()]))
        records = list(alarms.itertuples(index=False))
        out = [None] * len(alarms)
        for i in order:
            a = records[i]
            tg = tags[i] if tags is not None else None
            out[i] = self._place(a, t, tg).id
        return out

    def _place(self, a, t: int, tags) -> Incident:
        s = self.s
        key = (a.kind, a.tier, a.row, a.rule)
        known = self.by_series.get(key)
        if known is not None:
            inc = self.incidents[self.find(known)]
            if inc.last >= t - s.link_days:
                self._attach(inc, a, tags, grow=inc.first >= t - s.link_days)
                return inc
        if a.kind == RULE:                  # a rule is about its own area: same series only
            inc = self._new(RULE, bool(self.fine_row[a.row]), a)
            self._attach(inc, a, tags)
            return inc
        if self.fine_row[a.row]:
            # a neighbour's incident of the same subject; or any young one there (a storm of
            # several subclasses forms in its first link_days days, not later)
            halo = self.halo(a.row)
            young = t - s.link_days
            found = [inc for inc in self.open.values()
                     if inc.kind == a.kind and inc.fine and inc.last >= young and self._where(inc, t) & halo
                     and (self._related(a, inc) or inc.first >= young)]
            if found:
                keep = min(found, key=lambda inc: (not self._related(a, inc), inc.first, inc.id))
                for other in found:
                    # two incidents become one when the alarm shows they are about the same thing,
                    # or both are forming: a long incident never absorbs a new one of another subject
                    if self._related(a, other) and (self._same(keep, other) or min(keep.first, other.first) >= young):
                        self._merge(keep, other)
                self._attach(keep, a, tags, grow=keep.first >= young)
                return keep
            inc = self._new(a.kind, True, a)
            self._attach(inc, a, tags)
            return inc
        mask = self.mask(a.row)
        inside = [inc for inc in self.open.values()
                  if inc.kind == a.kind and inc.last >= t - s.link_days and inc.recent
                  and mask[list(self._where(inc, t))].any() and self._related(a, inc)]
        fine = [inc for inc in inside if inc.fine]
        since = t - int(a.window) + 1
        held = sum(self._recent_excess(inc, since) for inc in fine)
        if fine and held >= EXPLAINED * abs(a.observed - a.expected):
            inc = max(fine, key=lambda inc: self._recent_excess(inc, since))
            self._attach(inc, a, tags, grow=False)
            return inc
        coarse = [inc for inc in inside if not inc.fine]
        if coarse:
            keep = min(coarse, key=lambda inc: (inc.first, inc.id))
            for other in coarse:
                if self._same(keep, other):
                    self._merge(keep, other)
            self._attach(keep, a, tags, grow=keep.first >= t - s.link_days)
            return keep
        inc = self._new(a.kind, False, a)
        self._attach(inc, a, tags)
        return inc

    def shown(self, t: int) -> list[Incident]:
        s = self.s
        return [inc for inc in self.open.values() if inc.last >= t - s.hold_days + 1]


@dataclass
class Screen:
    alarms: pd.DataFrame          # the alarms with their incident
    incidents: dict               # id → Incident
    shown: pd.DataFrame           # per day × incident on the screen
    per_day: pd.DataFrame         # per day: alarms, incidents shown, excess and drop rows, capped
    n_series: int = 0
    n_drop_series: int = 0


def show(shown: list[Incident], t: int, s: Settings) -> list[dict]:
    """The day's screen: drops (their own list, at most max_drop_items) and the rest (excess and
    rules, the places the drops leave), new incidents first, then the strongest."""
    rows = []
    for inc in shown:
        recent = [d for d in inc.scores if t - s.hold_days < d <= t]
        score = inc.scores[max(recent)] if recent else inc.peak
        tags = frozenset().union(*(inc.tags.get(d, frozenset()) for d in recent)) if inc.tags else frozenset()
        rows.append({"day": t, "incident_id": inc.id, "kind": inc.kind, "new": inc.first >= t - s.new_days + 1,
                     "since": inc.first, "score": score, "tags": tags})
    if not rows:
        return []
    rows.sort(key=lambda r: (not r["new"], -r["score"], r["incident_id"]))
    drops = [r for r in rows if r["kind"] == DROP]
    others = [r for r in rows if r["kind"] != DROP]
    n_drop = min(len(drops), s.max_drop_items)
    room = s.max_items - n_drop
    for lst, cap in ((drops, n_drop), (others, room)):
        for rank, r in enumerate(lst, 1):
            r["rank"], r["on_screen"] = rank, rank <= cap
    return drops + others


def run(p: Prepared, s: Settings, first: int, last: int, backlog=None, hook=None,
        tag: Callable[[pd.DataFrame], list] | None = None, found: Detected | None = None) -> Screen:
    """The screens of the days first … last. `tag(alarms)` → per alarm a frozenset of labels the
    incidents carry to the screen (the evaluation's truth incidents); `found`: records detected
    before (at a lower floor, to try thresholds)."""
    found = found or detect(p, s, first, last, backlog, hook)
    alarms = alarms_of(p, s, found)
    tags = tag(alarms) if tag is not None else None
    tracker = Tracker(p, s)
    incident = np.empty(len(alarms), object)
    shown, per_day = [], []
    day = alarms["day"].to_numpy()
    bounds = np.searchsorted(day, np.arange(first, last + 2))
    for t in range(first, last + 1):
        lo, hi = bounds[t - first], bounds[t - first + 1]
        if hi > lo:
            incident[lo:hi] = tracker.day(t, alarms.iloc[lo:hi], tags[lo:hi] if tags is not None else None)
        today = show(tracker.shown(t), t, s)
        shown += today
        on = [r for r in today if r["on_screen"]]
        per_day.append({"day": t, "alarms": hi - lo, "incidents": len(today), "shown": len(on),
                        "drops": sum(r["kind"] == DROP for r in on), "new": sum(r["new"] for r in on),
                        "capped": len(on) < len(today)})
    alarms = alarms.assign(incident_id=[tracker.find(i) for i in incident])
    columns = ["day", "incident_id", "kind", "new", "since", "score", "tags", "rank", "on_screen"]
    return Screen(alarms, {k: v for k, v in tracker.incidents.items() if tracker.find(k) == k},
                  pd.DataFrame(shown, columns=columns), pd.DataFrame(per_day), found.n_series,
                  found.n_drop_series)
