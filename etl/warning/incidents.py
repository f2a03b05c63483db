"""During and after an incident (domain brief §4).

An incident is a group of alerts of one subclass close in space (the same area, one inside the
other, or grids whose centres are within link_km) and in time (within link_days). Its series is
that of its main area (main_area: where its excess is); its reports are those of the subclass in
any of its areas."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from etl.warning import detectors
from etl.warning.prepare import Prepared
from etl.warning.settings import Settings

BEFORE, AFTER = 28, 56           # days around an incident for the timeline and the after-analysis


def _related(p: Prepared, a: np.ndarray, s: Settings) -> np.ndarray:
    """(n × n) bool: same area, one contains the other, or neighbouring grids."""
    # area codes nest (district 6 digits, street 9, community 12, grid 15): a prefix contains
    codes = p.areas.codes[a].astype(str)
    length = np.char.str_len(codes)
    prefix = np.zeros((len(a), len(a)), bool)
    for n in np.unique(length):
        cut = np.array([c[:n] for c in codes])
        prefix |= (length[None, :] == n) & (cut[:, None] == codes[None, :])
    prefix |= prefix.T
    city = p.areas.levels[a] == "city"
    prefix |= city[:, None] | city[None, :]
    grid = a < p.areas.n_grids
    xy = np.where(grid[:, None], p.areas.xy[np.minimum(a, p.areas.n_grids - 1)], np.nan)
    near = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)) <= s.link_km
    return prefix | (near & grid[:, None] & grid[None, :])


def link(p: Prepared, alerts: pd.DataFrame, s: Settings) -> pd.Series:
    """An incident id per alert with a subclass (rules over all subclasses have none)."""
    ids = pd.Series(None, index=alerts.index, dtype=object)
    n = 0
    for code, group in alerts.dropna(subset=["subclass_code"]).groupby("subclass_code"):
        group = group.sort_values("day")
        a, d = group["area"].to_numpy(int), group["day"].to_numpy()
        edge = _related(p, a, s) & (np.abs(d[:, None] - d[None, :]) <= s.link_days)
        # components are numbered from their earliest alert, as the days are sorted
        count, label = connected_components(sparse.csr_matrix(edge), directed=False)
        ids.loc[group.index] = [f"YJ{n + k + 1:05d}" for k in label]
        n += count
    return ids


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    if len(x) < 3:
        return np.nan, np.nan
    slope, level = np.polyfit(x, y, 1)
    return float(level + slope * x[-1]), float(slope)


def pelt(x: np.ndarray, penalty: float) -> list[int]:
    """Change points of the mean (Gaussian cost), Killick et al.'s PELT: the indices where a
    new segment starts."""
    n = len(x)
    cs, cs2 = np.r_[0, np.cumsum(x)], np.r_[0, np.cumsum(x ** 2)]

    def cost(s, e):
        m = e - s
        return cs2[e] - cs2[s] - (cs[e] - cs[s]) ** 2 / m
    f = np.full(n + 1, np.inf)
    f[0] = -penalty
    last = np.zeros(n + 1, int)
    cands = np.array([0])
    for t in range(1, n + 1):
        vals = f[cands] + cost(cands, t) + penalty
        best = int(np.argmin(vals))
        f[t], last[t] = vals[best], cands[best]
        cands = np.r_[cands[vals - penalty <= f[t]], t]
    points, t = [], n
    while t > 0:
        t = last[t]
        if t > 0:
            points.append(t)
    return sorted(points)


def step_found(y: np.ndarray, mu: np.ndarray, onset: int, within: int = 3) -> int | None:
    """PELT on the log ratio to baseline of a series starting `onset` days before a known step:
    the offset of the change point within ±`within` days of it, or None."""
    r = np.log((y + 0.5) / (np.nan_to_num(mu) + 0.5))
    spread = max(float(np.std(r[:onset])), 0.1)
    near = [t - onset for t in pelt(r, 2 * spread ** 2 * np.log(len(r))) if abs(t - onset) <= within]
    return near[0] if near else None


def after(y: np.ndarray, mu: np.ndarray, phi: np.ndarray, first: int, last: int, end: int) -> dict:
    """Excess over the baseline with a 95 % interval, peak ratio, back-to-baseline, PELT change
    points on the log ratio to baseline, level and slope before and after. Indices are into the
    arrays, which run from BEFORE days before `first`."""
    ok = np.isfinite(mu)
    m = np.where(ok, mu, 0.0)
    inside = slice(first, last + 1)
    excess = float((y[inside] - m[inside]).sum())
    half = 1.96 * float(np.sqrt((m[inside] * (1 + phi[inside] * m[inside])).sum()))
    kernel = np.ones(7)
    y7, m7 = np.convolve(y, kernel)[: len(y)], np.convolve(m, kernel)[: len(m)]
    ratio7 = (y7 + 0.5) / (m7 + 0.5)
    peak = first + int(np.argmax(ratio7[first:last + 1]))
    back = next((t - peak for t in range(peak, end) if ratio7[t] <= 1.5), None)
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


def series_window(p: Prepared, code: str, area: int, first: int, last: int):
    lo, hi = max(0, first - BEFORE), min(p.n_days, last + AFTER + 1)
    days = np.arange(lo, hi)
    mu, phi = p.models[code].at(np.full(len(days), area), days)
    cells = p.cells[code]
    at = (cells.area == area) & (cells.day >= lo) & (cells.day < hi)
    y = np.bincount(cells.day[at] - lo, cells.n[at], hi - lo)
    return days, y, mu, phi


def recurrences(areas, area: np.ndarray, day: np.ndarray, own: np.ndarray, last: int,
                link_km: float) -> tuple[int, int]:
    """Alerts of the subclass after an incident (`area`, `day`: those not its own) within 30 and
    90 days of its last day, in its own areas or in grids whose centres lie within link_km of
    one of its grids: it came back where it was, or next door."""
    here = np.isin(area, own)
    own_grids = own[own < areas.n_grids]
    if len(own_grids):
        grid = area < areas.n_grids
        xy = areas.xy[np.where(grid, area, 0)]
        nearest = np.sqrt(((xy[:, None, :] - areas.xy[own_grids][None, :, :]) ** 2).sum(-1)).min(1)
        here |= grid & (nearest <= link_km)
    gap = day[here] - last
    return int(((gap > 0) & (gap <= 30)).sum()), int(((gap > 0) & (gap <= 90)).sum())


def main_area(area: np.ndarray, level: np.ndarray, excess: np.ndarray, score: np.ndarray) -> int:
    """The area an incident is reviewed on, from its alerts: where its excess is. The finest level
    holding at least half the excess (observed − expected over its alerts) of the area holding
    most: a surge in one grid is that grid's (its street and district alarm with about the same
    excess), a surge spread over a district's grids is the district's (no grid holds half of
    it). Within that level the strongest alert's area."""
    areas, at = np.unique(area, return_inverse=True)
    held = np.bincount(at, excess)
    best = np.full(len(areas), -np.inf)
    np.maximum.at(best, at, score)
    levels = np.empty(len(areas), level.dtype)
    levels[at] = level
    top = held.max()
    # alerts of rules on the backlog may all lie at or under their expectation: then no area holds
    # the excess, and every area is a candidate
    candidates = held >= 0.5 * top if top > 0 else np.ones(len(areas), bool)
    candidates &= levels == levels[candidates].min()
    return int(areas[candidates][np.argmax(best[candidates])])


def summarise(p: Prepared, alerts: pd.DataFrame, s: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per incident of the recent window: its span, areas, main area, and the after-analysis;
    and per incident × day: reports, expected, the upper bound. Older alerts still count as
    recurrences."""
    rows, timeline = [], {k: [] for k in ("incident_id", "day", "reported", "expected", "upper")}
    as_of = p.n_days - 1
    linked = alerts.dropna(subset=["incident_id"])
    inc_id, sub = linked["incident_id"].to_numpy(), linked["subclass_code"].to_numpy()
    area, day = linked["area"].to_numpy(int), linked["day"].to_numpy(int)
    score, level = linked["score"].to_numpy(float), p.areas.level_of[area]
    excess = (linked["observed"] - linked["expected"]).fillna(0).to_numpy(float)
    last_of = linked.groupby("incident_id")["day"].max()
    for inc in last_of.index[last_of.to_numpy() >= p.n_days - s.recent_days]:
        mine = inc_id == inc
        code = sub[mine][0]
        main = main_area(area[mine], level[mine], excess[mine], score[mine])
        first, last = int(day[mine].min()), int(day[mine].max())
        days, y, mu, phi = series_window(p, code, main, first, last)
        lo = days[0]
        res = after(y, mu, phi, first - lo, last - lo, len(days))
        later = (sub == code) & ~mine
        recur_30, recur_90 = recurrences(p.areas, area[later], day[later], area[mine], last, s.link_km)
        rows.append({
            "incident_id": inc, "subclass_code": code, "area": main,
            "areas": ";".join(sorted(set(p.areas.codes[area[mine]]))),
            "first_day": first, "last_day": last, "alerts": int(mine.sum()),
            "peak_score": float(score[mine].max()),
            "status": "进行中" if last >= as_of - s.active_days + 1 else "已结束",
            **{k: v for k, v in res.items() if k != "change_points"},
            "change_points": ";".join(str(p.cal.days[lo + i]) for i in res["change_points"]),
            "recur_30": recur_30, "recur_90": recur_90})
        ok = np.isfinite(mu)
        upper = np.full(len(mu), np.nan)
        upper[ok] = detectors.nb_upper(mu[ok], phi[ok], s.nb_alpha)
        for k, v in (("incident_id", np.full(len(days), inc)), ("day", days), ("reported", y),
                     ("expected", mu), ("upper", upper)):
            timeline[k].append(v)
    columns = ["incident_id", "subclass_code", "area", "areas", "first_day", "last_day", "alerts",
               "peak_score", "status", "excess", "excess_low", "excess_high", "peak_ratio",
               "peak_offset", "days_to_baseline", "level_before", "slope_before", "level_after",
               "slope_after", "change_points", "recur_30", "recur_90"]
    return (pd.DataFrame(rows, columns=columns),
            pd.DataFrame({k: np.concatenate(v) if v else np.array([]) for k, v in timeline.items()}))
