"""Detection: every series (row × tier, prepare.py) tested on each day for each window of the
settings, on its reports of the last w days against the baseline — the negative-binomial upper
tail for an excess, the lower tail for a drop (grids and communities, all reports and patrol
reports) — storms of several subclasses, rules, and the reset that makes one spike alarm once
(docs/design.md, "Early warning")."""
from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from etl import cores
from etl.warning import detectors, panel
from etl.warning.prepare import ALL, MULTI, NBHD, Prepared, Tier
from etl.warning.settings import Settings

EXCESS, DROP, RULE = "excess", "drop", "rule"
KIND_NAMES = {EXCESS: "上报激增", DROP: "上报骤减", RULE: "规则"}
DROP_LEVELS = ("grid", "community")
STORM_LEVELS = ("grid", NBHD, "community")
RECORD_COLUMNS = ["kind", "tier", "row", "day", "window", "observed", "expected", "score", "rule", "today",
                  "today_expected", "members"]
STORM_MIN_COUNT = 2              # a subclass joins a storm with at least 2 reports in the window …
STORM_MIN_EXCESS = 1.5           # … at least 1.5 above expectation
DENSE_FROM = 0.15                # excess_records on whole arrays when this share of cells can alarm


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


def empty_records() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
        RECORD_COLUMNS, ["object", "int32", "int32", "int32", "int16", "float", "float", "float", "object",
                         "float", "float", "object"])})


def concat_records(parts: list) -> pd.DataFrame:
    parts = [x for x in parts if len(x)]
    return pd.concat(parts, ignore_index=True) if parts else empty_records()


def _sums(a: panel.Arrays, mu: np.ndarray, defined: np.ndarray, days: np.ndarray, s: Settings) -> tuple:
    """Window sums of the reports, the expectation, the variance beyond it (φμ²) and the days
    with one, restarting on calendar days that are multiples of the longest window (detectors.
    Cumulative: a day's sums are the same whichever day detection starts on; the reports and the
    days are counts, whose sums are exact however they are added: detectors.Counts)."""
    start, block = int(days[0]), s.lead_days
    return (detectors.Counts(a.y), detectors.Cumulative(mu, start, block),
            detectors.Cumulative(a.var - mu, start, block), detectors.Counts(defined, np.int32))


def excess_records(a: panel.Arrays, tier: int, rows_ok: np.ndarray, first: int, days: np.ndarray,
                   s: Settings, floor: float, storm_rows: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every (row, day ≥ first, window) whose reports exceed the baseline enough to alarm (score
    at least `floor`), and — for a subclass, on `storm_rows` — the weaker excesses a storm adds up.
    Only the cells that can alarm are kept (a report today above its expectation; for a storm,
    two reports in the window), found on whole arrays or picked out cell by cell (DENSE_FROM)."""
    defined = np.isfinite(a.mu)
    mu = np.nan_to_num(a.mu)
    today = defined & (a.y >= 1) & (a.y > mu) & rows_ok[:, None]
    today[:, :first] = False
    weak_rows = np.zeros(len(rows_ok), bool) if storm_rows is None else storm_rows & rows_ok
    if not today.any() and not weak_rows.any():
        return empty_records(), empty_records()
    y_sums, mu_sums, extra_sums, whole = _sums(a, mu, defined, days, s)
    # the windows' sums on whole arrays from `first` on only (the days before it are read, not tested)
    tested = today[:, first:]
    if not tested.size:
        return empty_records(), empty_records()
    tested_share = tested.mean()
    out, weak = [], []
    for w in s.windows:
        c_all = y_sums.full(w, first) if weak_rows.any() else None
        cells = tested if c_all is None else tested | (weak_rows[:, None] & (c_all >= STORM_MIN_COUNT))
        if (tested_share if c_all is None else cells.mean()) >= DENSE_FROM:
            # many cells can alarm (a busy subclass's storms: up to two thirds of them): whole
            # arrays cost less than picking the cells out one by one
            c_all = y_sums.full(w, first) if c_all is None else c_all
            b_all = mu_sums.full(w, first)
            full = (whole.full(w, first) == w) & (b_all > 0) & (c_all >= s.min_ratio * b_all)
            above = c_all - b_all
            strong = tested & full & (above >= s.min_excess)
            light = full & weak_rows[:, None] & (c_all >= STORM_MIN_COUNT) & (above >= STORM_MIN_EXCESS)
            r, t = np.nonzero(strong | light)
            c, b, strong, light = c_all[r, t], b_all[r, t], strong[r, t], light[r, t]
            t += first
        else:
            r, t = np.nonzero(cells)
            c = y_sums.at(r, t + first, w) if c_all is None else c_all[r, t]
            t += first
            b = mu_sums.at(r, t, w)
            full = (whole.at(r, t, w) == w) & (b > 0) & (c >= s.min_ratio * b)
            strong = today[r, t] & full & (c - b >= s.min_excess)
            light = full & weak_rows[r] & (c >= STORM_MIN_COUNT) & (c - b >= STORM_MIN_EXCESS)
        hit = strong | light
        if not hit.any():
            continue
        r, t, cc, bb, strong, light = r[hit], t[hit], c[hit], b[hit], strong[hit], light[hit]
        e = extra_sums.at(r, t, w)
        score = -np.log10(np.maximum(detectors.nb_tail(cc, bb, detectors.excess_dispersion(bb, e)), 1e-300))
        for mask, cut, sink in ((strong, floor, out), (light, s.storm_floor, weak)):
            k = mask & (score >= cut)
            sink.append(_records(EXCESS, tier, r[k], days[t[k]], w, cc[k], bb[k], score[k],
                                 today=a.y[r[k], t[k]], today_expected=mu[r[k], t[k]]))
    return concat_records(out), concat_records(weak)


def drop_records(a: panel.Arrays, tier: int, rows_ok: np.ndarray, first: int, days: np.ndarray,
                 s: Settings, floor: float) -> pd.DataFrame:
    """Every (row, day ≥ first, window) whose reports fell far below the baseline."""
    defined = np.isfinite(a.mu)
    mu = np.nan_to_num(a.mu)
    today = defined & (a.y <= mu) & rows_ok[:, None]
    today[:, :first] = False
    r0, t0 = np.nonzero(today)
    if not len(r0):
        return empty_records()
    y_sums, mu_sums, extra_sums, whole = _sums(a, mu, defined, days, s)
    out = []
    for w in s.drop_windows:
        c, b = y_sums.at(r0, t0, w), mu_sums.at(r0, t0, w)
        hit = (b >= s.drop_min_expected) & (c <= s.drop_max_ratio * b) & (whole.at(r0, t0, w) == w)
        if not hit.any():
            continue
        r, t, cc, bb = r0[hit], t0[hit], c[hit], b[hit]
        e = extra_sums.at(r, t, w)
        score = -np.log10(np.maximum(detectors.nb_lower(cc, bb, detectors.excess_dispersion(bb, e)), 1e-300))
        keep = score >= floor
        out.append(_records(DROP, tier, r[keep], days[t[keep]], w, cc[keep], bb[keep], score[keep],
                            today=a.y[r[keep], t[keep]], today_expected=mu[r[keep], t[keep]]))
    return concat_records(out)


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
        return empty_records()
    value = h["value"].to_numpy(float)
    out = _records(RULE, 0, rows[h.index].to_numpy(int), h["day"].to_numpy(), 1, value,
                   h["reference"].to_numpy(float), _rule_score(value, rule, s), rule.name, today=value)
    return out.assign(tier=tiers[h.index].to_numpy(np.int32))


def storms(weak: pd.DataFrame, tier: int, s: Settings) -> pd.DataFrame:
    """Several subclasses up at once in one place and window (each at p < 10^-storm_floor with 2
    or more reports): one record whose score is the sum of theirs, for the MULTI tier."""
    if weak.empty:
        return empty_records()
    key = ["row", "day", "window"]
    n = weak.groupby(key, sort=False)["score"].transform("size")
    w = weak[n.to_numpy() >= 2].sort_values(key + ["score"], ascending=[True, True, True, False], kind="stable")
    if w.empty:
        return empty_records()
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
    storms: pd.DataFrame                  # storm records (the MULTI tier's), whatever their score
    n_series: int                         # excess series tested per day (for the detection ceiling)
    n_drop_series: int


def detect(p: Prepared, s: Settings, first: int, last: int, backlog=None,
           hook: Callable[[int, Tier, panel.Arrays, np.ndarray], None] | None = None,
           floor: float | None = None, drop_floor: float | None = None) -> Detected:
    """Records of the days first … last (indices into p.cal.days), whatever their level's
    threshold (`floor`: the lowest, unless given lower to try others). Arrays start at least
    s.lookback_days earlier, so every window and rule history is whole. `backlog(rule)` → the backlog history of a rule on open or
    overdue items (backlog.history); `hook(tier_index, tier, arrays, days)` sees every tier's
    arrays (the evaluation's comparators)."""
    floor = s.lowest_threshold if floor is None else floor
    drop_floor = s.drop_threshold if drop_floor is None else drop_floor
    # from the start of a block of the window sums (_sums), so that every day's are whole
    lo = max(0, (first - s.lookback_days) // s.lead_days * s.lead_days)
    days = np.arange(lo, last + 1)
    start = first - lo
    rows = p.rows
    levels = rows.levels
    ok = ~rows.skip
    drop_ok = ok & np.isin(levels, DROP_LEVELS)
    storm_rows = np.isin(levels, STORM_LEVELS)
    tier_index = {t.code: i for i, t in enumerate(p.tiers)}

    def test(i: int, tier: Tier, a: panel.Arrays) -> tuple[list, pd.DataFrame]:
        parts, light = [], empty_records()
        if tier.kind != "patrol":
            strong, light = excess_records(a, i, ok, start, days, s, floor,
                                           storm_rows if tier.kind == "subclass" else None)
            parts.append(strong)
        if tier.kind in ("all", "patrol"):
            parts.append(drop_records(a, i, drop_ok, start, days, s, drop_floor))
        for rule in s.rules:
            if rule.metric == "reported" and _rule_tier(rule, tier):
                # a rule is set for its level: it holds on an area with a finer one's grids too
                parts.append(reported_rule_records(a, i, rule, np.flatnonzero(levels == rule.level),
                                                   start, days, s))
        return parts, light

    # the tiers are tested on the cores there are (numpy leaves the GIL), taken in order so that
    # the records are the same whatever the number; at most `workers` tiers wait in memory
    parts, weak, n_series = [], [], 0
    workers = cores.count()
    with ThreadPoolExecutor(workers) as pool:
        pending: deque = deque()

        def take_oldest() -> None:
            found, light = pending.popleft().result()
            parts.extend(found)
            weak.append(light)

        for tier, a in panel.tier_arrays(p, days, pool):
            i = tier_index[tier.code]
            if hook is not None:
                hook(i, tier, a, days)
            if tier.kind != "patrol":
                n_series += int(ok.sum())
            pending.append(pool.submit(test, i, tier, a))
            while len(pending) > workers:
                take_oldest()
        while pending:
            take_oldest()
    if backlog is not None:
        parts.append(backlog_records(p, s, backlog))
    return Detected(concat_records(parts), storms(concat_records(weak), tier_index[MULTI], s), n_series, 2 * int(drop_ok.sum()))


def backlog_records(p: Prepared, s: Settings, backlog) -> pd.DataFrame:
    """The rules on open or overdue items, from `backlog(rule)` (backlog.history)."""
    tier_index = {t.code: i for i, t in enumerate(p.tiers)}
    row_of = {c: r for r, c in enumerate(p.rows.codes[:p.rows.n_areas])}
    return concat_records([backlog_rule_records(backlog(rule), rule, tier_index, row_of, s)
                    for rule in s.rules if rule.metric != "reported"])


def alarms_of(p: Prepared, s: Settings, found: Detected) -> pd.DataFrame:
    """The records that alarm under the settings' thresholds (each level its own), storms added,
    excess series reset after each alarm: one alarm per series and day."""
    r = found.records
    levels = p.rows.levels[r["row"].to_numpy()]
    cut = np.array([s.threshold_of(lv) for lv in levels]) if len(r) else np.zeros(0)
    excess = r[(r["kind"] == EXCESS).to_numpy() & (r["score"].to_numpy() >= cut)]
    drops = r[(r["kind"] == DROP) & (r["score"] >= s.drop_threshold)]
    storm = found.storms[found.storms["score"] >= s.storm_threshold]
    alarms = concat_records([reset(concat_records([excess, storm])), best_per_day(concat_records([drops, r[r["kind"] == RULE]]))])
    return alarms.sort_values(["day", "kind", "tier", "row"], kind="stable").reset_index(drop=True)


def _rule_tier(rule, tier: Tier) -> bool:
    if rule.subclass == "all":
        return tier.kind == "all"
    if rule.subclass == "*":
        return tier.kind == "subclass"
    return tier.kind == "subclass" and tier.code == rule.subclass


