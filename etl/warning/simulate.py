"""Synthetic outbreaks injected into the warehouse's own series, for detection quality by size
(domain brief §4: spike, ramp, step; sizes in multiples of the baseline SD).

A batch puts one outbreak into one grid series of each subclass (so outbreaks never overlap),
adds it to the grid and every area above it, refits every baseline on the modified counts (the
outbreak enters the baseline as a real one would) and scores the series with each method at the
thresholds the clean data gave for the chosen false-alarm rate. Size is in SD of the series over
the 8 weeks before the start, floored like the generator's (max(sd, √mean, 0.3))."""
from __future__ import annotations

import numpy as np
import pandas as pd

from etl.generate.incidents import BASELINE_DAYS, outbreak_shape
from etl.warning import baseline, incidents, scan
from etl.warning.prepare import Prepared, fit_models

SIZES_SD = (2, 3, 5, 8)
KINDS = ("spike", "ramp", "step")
DURATION = {"spike": (1, 3), "ramp": (7, 14), "step": (30, 90)}


def _ancestors(p: Prepared) -> list[np.ndarray]:
    csc = p.areas.members.tocsc()
    return [csc.indices[csc.indptr[g]:csc.indptr[g + 1]] for g in range(p.areas.n_grids)]


def _inject(cells, up: np.ndarray, start: int, extra: np.ndarray):
    days = np.arange(start, start + len(extra))
    keep = extra > 0
    area = np.repeat(up, keep.sum())
    return cells.plus(area, np.tile(days[keep], len(up)), np.tile(extra[keep], len(up)))


def temporal_trials(p: Prepared, s, thresholds: dict[str, float], trials: int, seed: int = 5,
                    score=None) -> pd.DataFrame:
    """`score(p, code, s, rows)` → {method: (rows × days)}: evaluate.series_scores."""
    rng = np.random.default_rng(seed)
    up = _ancestors(p)
    T, G = p.n_days, p.areas.n_grids
    first = baseline.WARMUP + BASELINE_DAYS
    codes = [c for c in p.cells if (p.cells[c].area < G).sum() >= 20]
    out = []
    while len(out) < trials * len(thresholds):
        planted, cells = [], dict(p.cells)
        for code in codes:
            kind, size = KINDS[rng.integers(3)], SIZES_SD[rng.integers(len(SIZES_SD))]
            days = int(rng.integers(DURATION[kind][0], DURATION[kind][1] + 1))
            start = int(rng.integers(first, T - days))
            c = cells[code]
            on_grid = c.area < G
            weights = np.bincount(c.area[on_grid], c.n[on_grid], G)
            g = int(rng.choice(G, p=weights / weights.sum()))
            before = c.rows(np.array([g]), start - BASELINE_DAYS, start)[0]
            sd = max(before.std(ddof=1), np.sqrt(before.mean()), 0.3)
            extra = np.maximum(np.round(outbreak_shape(kind, days, size * sd)), 1).astype(int)
            cells[code] = _inject(c, up[g], start, extra)
            planted.append((code, g, kind, size, start, days))
        trial = Prepared(p.cal, p.areas, p.blocks, p.categories, cells,
                         fit_models(p.areas, p.cal, p.blocks, cells))
        for code, g, kind, size, start, days in planted:
            sc = score(trial, code, s, np.array([g]))
            for m, th in thresholds.items():
                hit = np.flatnonzero(sc[m][0, start:start + days] > th)
                out.append({"method": m, "type": kind, "size_sd": size, "detected": len(hit) > 0,
                            "delay": int(hit[0]) if len(hit) else np.nan})
            if kind == "step":
                out.append(_change_point(trial, code, g, start, days))
    return pd.DataFrame(out)


def _change_point(p: Prepared, code: str, g: int, start: int, days: int) -> dict:
    lo, hi = start - incidents.BEFORE, min(p.n_days, start + days + incidents.BEFORE)
    span = np.arange(lo, hi)
    mu, _ = p.models[code].at(np.full(len(span), g), span)
    y = p.cells[code].rows(np.array([g]), lo, hi)[0]
    found = incidents.step_found(y, mu, incidents.BEFORE)
    return {"method": "pelt", "type": "step", "size_sd": np.nan, "detected": found is not None,
            "delay": found if found is not None else np.nan}


CLUSTER_GRIDS = (3, 5, 7)
# the cluster's expected reports a day, which decides whether a tripling can be seen at all
CLUSTER_BANDS = ((1.0, 2.0), (2.0, 4.0), (4.0, 8.0), (8.0, np.inf))


def band_label(lo: float, hi: float, rate_ratio: float = 3.0) -> str:
    band = f"≥{lo:g}" if np.isinf(hi) else f"{lo:g}–{hi:g}"
    return f"RR {rate_ratio:g}, ≤7 网格, 基线 {band} 件/日"


def cluster_trials(p: Prepared, s, trials: int, rate_ratio: float = 3.0,
                   bands: tuple[tuple[float, float], ...] = CLUSTER_BANDS, seed: int = 9) -> pd.DataFrame:
    """Clusters of 3, 5 or 7 neighbouring grids in one series of the scan's tiers (a subclass, a
    class or all reports): for 3 days, extra reports drawn at (rate_ratio − 1) × the baseline.
    Trials go round the bands of the cluster's baseline (expected reports a day over the 3
    days); a band the data cannot fill after 300 draws is left out. Detected if the scan finds a
    cluster with p ≤ scan p_value that takes in a planted grid on day 1, 2 or 3. Each trial also
    gives the ceiling (method "oracle", scan.oracle_detection): a test at the same p that knows
    where and when the cluster began."""
    rng = np.random.default_rng(seed)
    G, T = p.areas.n_grids, p.n_days
    nbr = scan.neighbours(p.areas.xy, s.scan_max_grids)
    series = scan.tiers(p)
    recent = np.arange(T - 28, T)
    # per series, the busiest 7-grid cluster of the last 4 weeks: which bands it could fill
    top = np.array([np.nan_to_num(m.mu(recent)[:G]).mean(axis=1)[nbr].sum(axis=1).max() for _, _, m in series])
    out, unreachable = [], set()
    for i in range(trials):
        lo_band, hi_band = bands[i % len(bands)]
        able = np.flatnonzero(top >= lo_band)
        if (lo_band, hi_band) in unreachable:
            continue
        for _ in range(300 if len(able) else 0):
            code, cells, model = series[able[rng.integers(len(able))]]
            k = min(CLUSTER_GRIDS[rng.integers(len(CLUSTER_GRIDS))], nbr.shape[1])
            members = nbr[int(rng.integers(G)), :k]
            start = int(rng.integers(baseline.WARMUP + 28, T - 3))
            lo = start - s.scan_max_days + 1
            span = np.arange(lo, start + 3)
            mu = np.nan_to_num(model.mu(span)[:G])
            per_day = mu[members, -3:].sum(axis=0).mean()
            if lo_band <= per_day < hi_band:
                break
        else:
            unreachable.add((lo_band, hi_band))
            continue
        y = cells.dense(G, lo, start + 3)
        y[members, -3:] += rng.poisson((rate_ratio - 1) * mu[members, -3:])
        phi = model.dispersion(span)[:G]
        lag = scan.first_detection(y, mu, phi, s.scan_max_days - 1, set(members.tolist()), nbr, s, rng)
        ceiling = scan.oracle_detection(y[members, -3:], mu[members, -3:], phi[members, -3:], s.scan_p_value)
        for method, found in (("scan", lag), ("oracle", ceiling)):
            out.append({"method": method, "type": "cluster", "size_sd": np.nan,
                        "label": band_label(lo_band, hi_band, rate_ratio), "tier": code, "grids": k,
                        "baseline_per_day": per_day, "detected": found is not None, "delay": found})
    return pd.DataFrame(out, columns=["method", "type", "size_sd", "label", "tier", "grids",
                                      "baseline_per_day", "detected", "delay"])
