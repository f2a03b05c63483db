"""Expectation-based Poisson space-time scan (Neill's EBP; domain brief §4).

Candidate clusters are a grid and its nearest neighbours (1 to max_grids grids, by centroid
distance, a stand-in for adjacency rings), over the last 1 to max_days days. A cluster's score
is the log-likelihood ratio C·ln(C/B) + B − C when the count C exceeds its baseline B. The
p-value of the day's strongest cluster is its rank among the strongest clusters of replicates
drawn from the baseline (Monte Carlo), refined by a Gumbel fit to those maxima when it is below
what the replicates can resolve (as SaTScan does). The recurrence interval is 1/p days.

The scan runs on three tiers of series: each subclass, each class, and all reports. A subclass
seldom expects more than a report a day in seven neighbouring grids, and against a district-wide
search a tripling of so few reports cannot be told from chance; a class, or all reports, expects
several (docs/design.md has the measured detection by baseline)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from etl.warning import detectors
from etl.warning.prepare import Prepared
from etl.warning.series import Cells
from etl.warning.settings import Settings

MIN_BASELINE = 0.01
EULER = 0.5772156649
ALL = "ALL"          # the tier of all reports (a class tier is named by its class code)


def sum_dispersion(total_mu: np.ndarray, total_phi_mu2: np.ndarray) -> np.ndarray:
    """φ of a sum of independent negative-binomial counts, from Σμ and Σφμ² (the variances
    μ + φμ² add up); where nothing is expected, φ is unused."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total_mu > 0, np.maximum(total_phi_mu2 / total_mu ** 2, 1e-6), 1e-6)


@dataclass
class Summed:
    """The baseline of a sum of independent series: μ adds up, and so does the variance
    μ + φμ², which gives the sum's φ."""
    models: list

    def mu(self, days: np.ndarray) -> np.ndarray:
        return np.sum([np.nan_to_num(m.mu(days)) for m in self.models], axis=0)

    def dispersion(self, days: np.ndarray) -> np.ndarray:
        mus = [np.nan_to_num(m.mu(days)) for m in self.models]
        total = np.sum(mus, axis=0)
        return sum_dispersion(total, np.sum([m.dispersion(days) * mu ** 2 for m, mu in zip(self.models, mus)], axis=0))


def tiers(p: Prepared) -> list[tuple[str, Cells, object]]:
    """(code, cells, model) for every subclass, every class of several subclasses, and all
    reports. A class's and all reports' cells are their subclasses' grid rows only (the scan
    reads grids): a copy of every level would triple the cells at city scale."""
    subclasses = [(code, p.cells[code], p.models[code]) for code in p.cells]
    classes = p.categories["class_code"].reindex(list(p.cells))
    out = list(subclasses)
    groups = [(c, list(classes.index[classes == c])) for c in sorted(classes.dropna().unique())]
    for code, members in groups + [(ALL, list(p.cells))]:
        if len(members) > 1 or code == ALL:
            cells = _grid_rows([p.cells[m] for m in members], p.areas.n_grids)
            out.append((code, cells, Summed([p.models[m] for m in members])))
    return out


def _grid_rows(parts: list[Cells], n_grids: int) -> Cells:
    keep = [c.area < n_grids for c in parts]
    return Cells(*(np.concatenate([getattr(c, f)[k] for c, k in zip(parts, keep)]) for f in ("area", "day", "n")))


def neighbours(xy: np.ndarray, k: int) -> np.ndarray:
    """(grids × k): each grid itself, then its nearest grids."""
    k = min(k, len(xy))
    out = np.empty((len(xy), k), int)
    for lo in range(0, len(xy), 1000):
        d = ((xy[lo:lo + 1000, None, :] - xy[None, :, :]) ** 2).sum(-1)
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(d, part, 1).argsort(1)
        out[lo:lo + 1000] = np.take_along_axis(part, order, 1)
    return out


def cluster_sums(y: np.ndarray, nbr: np.ndarray) -> np.ndarray:
    """y (... × grids × days, the last day last) → (... × grids × k × windows): the sum over the
    grid's k nearest and the last w days."""
    windows = np.cumsum(y[..., ::-1], axis=-1, dtype=y.dtype)   # last 1, 2, … days
    return np.cumsum(windows[..., nbr, :], axis=-2, dtype=y.dtype)


def llr(c: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(c > b, c * np.log(np.maximum(c, 1e-12) / b) + b - c, 0.0)


def null_maxima(mu: np.ndarray, phi: np.ndarray, nbr: np.ndarray, replicates: int, rng) -> np.ndarray:
    """Replicates drawn from the negative-binomial baseline (Poisson would understate how
    often real counts bunch, and find clusters every day). Counts are summed as int32 and the
    score is computed only where a cluster's count exceeds its baseline (few places, for most
    series), in batches that bound the memory at city scale."""
    b = np.maximum(cluster_sums(mu, nbr), MIN_BASELINE)
    out = np.zeros(replicates)
    batch = max(1, 20_000_000 // max(b.size, 1))
    for lo in range(0, replicates, batch):
        shape = (min(batch, replicates - lo),) + mu.shape
        frailty = rng.gamma(np.broadcast_to(1 / phi, shape), np.broadcast_to(phi, shape))
        c = cluster_sums(rng.poisson(mu * frailty).astype(np.int32), nbr)
        rep, *cell = np.nonzero(c > b)
        if len(rep):                          # rep is sorted: one segment per replicate
            c, base = c[(rep, *cell)].astype(float), b[tuple(cell)]
            starts = np.flatnonzero(np.r_[True, rep[1:] != rep[:-1]])
            out[lo + rep[starts]] = np.maximum.reduceat(llr(c, base), starts)
    return out


def p_value(score: float, maxima: np.ndarray) -> float:
    empirical = (1 + (maxima >= score).sum()) / (len(maxima) + 1)
    if empirical > 1 / (len(maxima) + 1) or maxima.std() == 0:
        return float(empirical)
    beta = maxima.std() * np.sqrt(6) / np.pi
    loc = maxima.mean() - EULER * beta
    return float(-np.expm1(-np.exp(-(score - loc) / beta)))


def scan_day(y, mu, nbr, maxima, top: int = 3):
    """The strongest non-overlapping clusters of one day: (grids, k, w, C, B, score, p)."""
    c = cluster_sums(y, nbr)
    b = np.maximum(cluster_sums(mu, nbr), MIN_BASELINE)
    score = llr(c, b)
    taken: set[int] = set()
    found = []
    for flat in np.argsort(score, axis=None)[::-1][:200]:
        g, k, w = np.unravel_index(flat, score.shape)
        if score[g, k, w] <= 0 or len(found) == top:
            break
        members = set(nbr[g, :k + 1].tolist())
        if members & taken:
            continue
        taken |= members
        found.append((sorted(members), w + 1, c[g, k, w], b[g, k, w], score[g, k, w],
                      p_value(score[g, k, w], maxima)))
    return found


def first_detection(y: np.ndarray, mu: np.ndarray, phi: np.ndarray, onset: int, rows: set[int],
                    nbr: np.ndarray, s: Settings, rng, days: int = 3) -> int | None:
    """Days after `onset` (a column of the grids × days arrays) until the scan of a day, its
    windows ending on that day, finds a cluster with p ≤ scan_p_value that takes in one of
    `rows`; None if not within `days` days."""
    for lag in range(min(days, y.shape[1] - onset)):
        end = onset + lag + 1
        w = slice(max(0, end - s.scan_max_days), end)
        maxima = null_maxima(mu[:, w], phi[:, w], nbr, s.scan_replicates, rng)
        if any(pv <= s.scan_p_value and rows & set(members)
               for members, *_r, pv in scan_day(y[:, w], mu[:, w], nbr, maxima)):
            return lag
    return None


def oracle_detection(y: np.ndarray, mu: np.ndarray, phi: np.ndarray, alpha: float) -> int | None:
    """The ceiling of any detector on a planted cluster: a test that knows the cluster's grids and
    first day. y, mu, phi (cluster grids × days from the first day): the first day d on which the
    cluster's count since the first day has P(Y ≥ count) ≤ alpha under the negative-binomial
    baseline of the sum (μ adds up, and so does μ + φμ²); None if on none. The scan must search
    every grid and window of the tier at the same alpha, so it detects no more often than this."""
    c, b = np.cumsum(y.sum(axis=0)), np.cumsum(mu.sum(axis=0))
    phi_sum = sum_dispersion(b, np.cumsum((phi * mu ** 2).sum(axis=0)))
    hit = np.flatnonzero(detectors.nb_tail(c, b, phi_sum) <= alpha)
    return int(hit[0]) if len(hit) else None


def recent_clusters(p: Prepared, s: Settings, days_back: int | None = None, seed: int = 7) -> pd.DataFrame:
    """Clusters with p ≤ scan_p_value on each of the last `days_back` days (default: the last
    day, as a prospective daily analysis does; windows of 1 to max_days days end on it)."""
    rng = np.random.default_rng(seed)
    G, T = p.areas.n_grids, p.n_days
    nbr = neighbours(p.areas.xy, s.scan_max_grids)
    days_back = days_back or 1
    span = np.arange(max(0, T - days_back - s.scan_max_days + 1), T)
    rows = []
    for code, cells, model in tiers(p):
        mu_all = np.nan_to_num(model.mu(span)[:G])
        phi = model.dispersion(span[-s.scan_max_days:])[:G]
        y_all = cells.dense(G, span[0], T)
        if y_all.sum() == 0:
            continue
        ends = range(len(span) - days_back, len(span))
        windows = [(max(0, e - s.scan_max_days + 1), e + 1) for e in ends]
        best = max(llr(cluster_sums(y_all[:, lo:hi], nbr),
                       np.maximum(cluster_sums(mu_all[:, lo:hi], nbr), MIN_BASELINE)).max()
                   for lo, hi in windows)
        # sequential Monte Carlo (Besag and Clifford): 19 replicates settle the days where nothing
        # stands out; the full number only where the strongest cluster beats most of them
        null_mu = mu_all[:, -s.scan_max_days:]
        maxima = null_maxima(null_mu, phi, nbr, 19, rng)
        if (maxima >= best).sum() > 2:
            continue
        maxima = np.r_[maxima, null_maxima(null_mu, phi, nbr, max(s.scan_replicates - 19, 0), rng)]
        for end, (lo, hi) in zip(ends, windows):
            for members, w, c, b, score, pv in scan_day(y_all[:, lo:hi], mu_all[:, lo:hi], nbr, maxima):
                if pv <= s.scan_p_value:
                    rows.append({"day": pd.Timestamp(p.cal.days[span[end]]).date(), "subclass_code": code,
                                 "grid_codes": ";".join(p.areas.codes[members]), "n_grids": len(members),
                                 "window_days": int(w), "observed": int(c), "expected": float(b),
                                 "rate_ratio": float(c / b), "llr": float(score), "p_value": pv,
                                 "recurrence_days": float(1 / pv)})
    cols = ["day", "subclass_code", "grid_codes", "n_grids", "window_days", "observed", "expected",
            "rate_ratio", "llr", "p_value", "recurrence_days"]
    return pd.DataFrame(rows, columns=cols)
