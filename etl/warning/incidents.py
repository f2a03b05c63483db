"""During and after an incident (domain brief §4): where it is reviewed, its course against the
baseline, and the after-analysis.

An incident (screen.Tracker) is reviewed on its main area — where its excess is — and on its
subject: the subclasses it is about (a storm's several), all reports for an all-reports alarm,
the patrol reports for a patrol drop."""
from __future__ import annotations

import numpy as np

from etl.warning import detectors
from etl.warning.prepare import PATROL, Prepared

BEFORE, AFTER = 28, 56           # days around an incident for the timeline and the after-analysis


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    if len(x) < 3:
        return np.nan, np.nan
    slope, level = np.polyfit(x, y, 1)
    return float(level + slope * x[-1]), float(slope)


def pelt(x: np.ndarray, penalty: float) -> list[int]:
    """Change points of the mean (Gaussian cost), Killick et al.'s PELT: the indices where a
    new segment starts. In plain floats: pruning keeps a handful of candidates, on which numpy's
    per-call cost was most of an incident's review (the same arithmetic, so the same points)."""
    n = len(x)
    cs, cs2 = np.r_[0, np.cumsum(x)].tolist(), np.r_[0, np.cumsum(x ** 2)].tolist()
    f = [-penalty] + [0.0] * n
    last = [0] * (n + 1)
    cands = [0]
    for t in range(1, n + 1):
        vals = []
        for s in cands:
            d = cs[t] - cs[s]
            vals.append(f[s] + (cs2[t] - cs2[s] - d * d / (t - s)) + penalty)
        best = min(range(len(vals)), key=vals.__getitem__)      # the first of equal ones
        f[t], last[t] = vals[best], cands[best]
        cands = [s for s, v in zip(cands, vals) if v - penalty <= f[t]] + [t]
    return segment_starts(last)


def segment_starts(last) -> list[int]:
    """The change points of an optimal partition from each end's best last segment start."""
    points, t = [], len(last) - 1
    while t > 0:
        t = last[t]
        if t > 0:
            points.append(t)
    return sorted(points)


def after(y: np.ndarray, mu: np.ndarray, var: np.ndarray, first: int, last: int, end: int) -> dict:
    """Excess over the baseline with a 95 % interval, peak ratio, back-to-baseline, PELT change
    points on the log ratio to baseline, level and slope before and after. Indices are into the
    arrays, which run from BEFORE days before `first`. For a drop the excess is negative and the
    peak is the deepest fall."""
    ok = np.isfinite(mu)
    m = np.where(ok, mu, 0.0)
    inside = slice(first, last + 1)
    excess = float((y[inside] - m[inside]).sum())
    half = 1.96 * float(np.sqrt(var[inside].sum()))
    kernel = np.ones(7)
    y7, m7 = np.convolve(y, kernel)[: len(y)], np.convolve(m, kernel)[: len(m)]
    ratio7 = (y7 + 0.5) / (m7 + 0.5)
    drop = excess < 0
    span = ratio7[first:last + 1]
    peak = first + int(np.argmin(span) if drop else np.argmax(span))
    back = next((t - peak for t in range(peak, end) if (ratio7[t] >= 1 / 1.5 if drop else ratio7[t] <= 1.5)), None)
    r = np.log((y + 0.5) / (m + 0.5))[:end]
    spread = np.median(np.abs(np.diff(r) - np.median(np.diff(r)))) * 1.4826 / np.sqrt(2) if end > 3 else 1.0
    points = pelt(r, 2 * max(spread, 0.1) ** 2 * np.log(max(end, 2)) * 2) if end > 3 else []
    t = np.arange(len(y))
    level_b, slope_b = _ols(t[max(0, first - BEFORE):first], y[max(0, first - BEFORE):first])
    level_a, slope_a = _ols(t[last + 1:end], y[last + 1:end])
    return {"excess": excess, "excess_low": excess - half, "excess_high": excess + half,
            "peak_ratio": float(ratio7[peak]), "peak_offset": peak - first,
            "days_to_baseline": back, "change_points": points,
            "level_before": level_b, "slope_before": slope_b,
            "level_after": level_a, "slope_after": slope_a}


def series(p: Prepared, codes: tuple, row: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row's reports, expectation and variance over days [lo, hi) for the subclasses `codes`
    (or (PATROL,)): a 片区's are its grids' summed."""
    rows = p.rows
    targets = np.array([row]) if row < rows.n_areas else rows.footprint(row)
    days = np.arange(lo, hi)
    y, mu, var = np.zeros(hi - lo), np.zeros(hi - lo), np.zeros(hi - lo)
    defined = np.zeros(hi - lo, bool)
    parts = [(p.patrol, p.patrol_model)] if codes == (PATROL,) else [(p.cells[c], p.models[c]) for c in codes if c in p.cells]
    for cells, model in parts:
        y += cells.rows(targets, lo, hi).sum(axis=0)
        m, phi = model.at(np.repeat(targets, len(days)), np.tile(days, len(targets)))
        m, phi = m.reshape(len(targets), -1), phi.reshape(len(targets), -1)
        defined |= np.isfinite(m).any(axis=0)
        mu += np.nan_to_num(m).sum(axis=0)
        var += np.nan_to_num(m + phi * m ** 2).sum(axis=0)
    return y, np.where(defined, mu, np.nan), var


def upper_bound(mu: np.ndarray, var: np.ndarray, alpha: float = 0.001) -> np.ndarray:
    """The day's bound a single day's count exceeds with probability alpha (NaN without baseline)."""
    ok = np.isfinite(mu) & (mu > 0)
    out = np.full(len(mu), np.nan)
    out[ok] = detectors.nb_upper(mu[ok], detectors.sum_dispersion(mu[ok], var[ok]), alpha)
    return out


def main_area(area: np.ndarray, level: np.ndarray, excess: np.ndarray, score: np.ndarray) -> int:
    """The area an incident is reviewed on, from its alerts: where its excess is. The finest level
    holding at least half the excess (|observed − expected| over its alerts) of the area holding
    most: a surge in one grid is that grid's (its street and district alarm with about the same
    excess), a surge spread over a district's grids is the district's (no grid holds half of
    it). Within that level the strongest alert's area."""
    areas, at = np.unique(area, return_inverse=True)
    held = np.bincount(at, np.abs(excess))
    best = np.full(len(areas), -np.inf)
    np.maximum.at(best, at, score)
    levels = np.empty(len(areas), level.dtype)
    levels[at] = level
    top = held.max()
    # alerts of rules on the backlog may hold no excess: then every area is a candidate
    candidates = held >= 0.5 * top if top > 0 else np.ones(len(areas), bool)
    candidates &= levels == levels[candidates].min()
    return int(areas[candidates][np.argmax(best[candidates])])


def recurrences(p: Prepared, grids: set, later_days: np.ndarray, later_grids: list, last: int,
                link_km: float) -> tuple[int, int]:
    """Alarm days of the same subject after an incident (`later_days`, `later_grids`: each later
    alarm's grids) within 30 and 90 days of its last day, in its own grids or grids whose centres
    lie within link_km of one of them: it came back where it was, or next door."""
    if not grids or not len(later_days):
        return 0, 0
    own = np.array(sorted(grids))
    near = set(np.concatenate([p.near[g] for g in own]).tolist()) if link_km > 0 else set(own.tolist())
    here = np.array([bool(g & near) for g in later_grids])
    gap = later_days[here] - last
    days30 = np.unique(later_days[here][(gap > 0) & (gap <= 30)])
    days90 = np.unique(later_days[here][(gap > 0) & (gap <= 90)])
    return len(days30), len(days90)
