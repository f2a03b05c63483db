"""Aberration tests on counts against a negative-binomial baseline (domain brief §4).

- `nb_tail` / `nb_lower`: P(Y ≥ y) / P(Y ≤ y) under the baseline: on a window's sum of reports
  (`window_sums`, its φ from `sum_dispersion`) they are the excess and drop tests of screen.py.
  Testing the last w days for several w is what a CUSUM does with a window it picks itself;
  spelt out, every window's evidence is on one scale (−log10 p) and a reset after an alarm
  is "only windows that start after it".
- `nb_upper`: the count a single day exceeds with probability α (the timeline's upper bound).
- `ears`: CDC's EARS C1, C2 and C3 on the raw counts, the comparators of the evaluation."""
from __future__ import annotations

import numpy as np
from scipy import special, stats

EARS_MIN_SD = 0.2     # a flat baseline week has sd 0; EARS implementations floor it
POISSON_BELOW = 1e-10  # φμ under which nb_upper takes the Poisson limit


def _size_prob(mu, phi):
    """NB(n, p) with mean mu and Var = mu + phi·mu²."""
    n = 1.0 / phi
    return n, n / (n + mu)


def _cdf(k, n, p):
    """P(Y ≤ k), k ≥ 0."""
    return special.betainc(n, k + 1.0, p)


def nb_tail(y: np.ndarray, mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """P(Y ≥ y); 1 where nothing was reported or there is no baseline."""
    p = np.ones(y.shape)
    hit = (y > 0) & np.isfinite(mu)
    n, q = _size_prob(mu[hit], phi[hit])
    p[hit] = special.betainc(y[hit].astype(float), n, 1.0 - q)     # = 1 − F(y − 1), accurately
    return p


def nb_upper(mu: np.ndarray, phi: np.ndarray, alpha: float) -> np.ndarray:
    """The baseline's upper bound: the smallest u with P(Y > u) ≤ α (alarms are counts above
    it). Where φμ < 1e-10 the negative binomial is the Poisson it tends to (and p = n/(n + μ)
    would have lost its digits; φ = 0 has no n at all); μ = 0 gives 0."""
    mu, phi = np.broadcast_arrays(np.asarray(mu, float), np.asarray(phi, float))
    poisson = phi * mu < POISSON_BELOW
    n, q = _size_prob(mu, np.where(poisson, 1.0, phi))
    return np.where(poisson, stats.poisson.ppf(1 - alpha, mu), stats.nbinom.ppf(1 - alpha, n, q))


def _rolling(cum: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    return cum[..., t1] - cum[..., t0]


def ears(y: np.ndarray) -> dict[str, np.ndarray]:
    """C1: 7-day baseline ending yesterday; C2: the same ending three days ago (2-day guard);
    C3: the sum of C2's excess over 1 on the last three days. NaN for the first 9 days. Also
    each one's baseline mean (mean_c1, mean_c2)."""
    T = y.shape[-1]
    yf = y.astype(float)
    c = np.zeros(y.shape[:-1] + (T + 1,))
    c2s = np.zeros(y.shape[:-1] + (T + 1,))
    np.cumsum(yf, axis=-1, out=c[..., 1:])
    np.cumsum(yf ** 2, axis=-1, out=c2s[..., 1:])
    t = np.arange(T)
    out = {}
    for name, lag in (("c1", 1), ("c2", 3)):
        hi = np.clip(t - lag + 1, 0, T)
        lo = np.clip(hi - 7, 0, T)
        s, ss = _rolling(c, lo, hi), _rolling(c2s, lo, hi)
        mean = s / 7
        sd = np.sqrt(np.maximum(ss - 7 * mean ** 2, 0) / 6)
        score = (yf - mean) / np.maximum(sd, EARS_MIN_SD)
        score[..., : lag + 6] = np.nan
        out[name] = score
        out[f"mean_{name}"] = mean
    excess = np.nan_to_num(np.maximum(out["c2"] - 1, 0))
    c3 = excess.copy()
    c3[..., 1:] += excess[..., :-1]
    c3[..., 2:] += excess[..., :-2]
    c3[..., :11] = np.nan
    out["c3"] = c3
    return out


def nb_lower(y: np.ndarray, mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """P(Y ≤ y) under the negative binomial with mean mu and Var = mu + phi·mu²."""
    n, q = _size_prob(mu, phi)
    return _cdf(np.asarray(y, float), n, q)


def window_sums(x: np.ndarray, w: int) -> np.ndarray:
    """(rows × days) → the sum over the last w days up to and including each day (days before
    the array count as nothing)."""
    return Counts(x).full(w)


class Counts:
    """Window sums from one running sum over the whole rows (window_sums' too). Of counts
    (whole numbers, floats or integers) every partial sum is exact, so they are Cumulative's
    figures to the bit (tests/etl/warning/test_fast_paths.py), in fewer passes (a running sum
    restarting on blocks cost three times one over whole rows; a window's sum is then one
    subtraction)."""

    def __init__(self, x: np.ndarray, dtype=None):
        self.cum = np.cumsum(x, axis=-1, dtype=dtype)

    def full(self, w: int, since: int = 0) -> np.ndarray:
        """The sums at every day from `since` on (the columns before it are not computed)."""
        if w < 1:
            raise ValueError(f"a window of {w} days")
        cum = self.cum
        out = cum[..., since:].copy()
        a, n = max(w, since), cum.shape[-1]         # from a, the windows begin in the array
        if a < n:
            out[..., a - since:] -= cum[..., a - w:n - w]
        return out

    def at(self, r: np.ndarray, t: np.ndarray, w: int) -> np.ndarray:
        if w < 1:
            raise ValueError(f"a window of {w} days")
        a = t - w                                   # the window is (a, t]; none before day 0
        return self.cum[r, t] - np.where(a >= 0, self.cum[r, np.maximum(a, 0)], 0)


class Cumulative:
    """Window sums of one (rows × days) array, for windows of at most `block` days, at all cells
    or only at those asked for, from running sums that restart on each day whose calendar index
    (`start` + column) is a multiple of `block`. A window's sum then adds up the same numbers
    whichever day the array starts on (from a block's start): a day detected again in a later
    run gets the very same figures (detections.py). And no running sum spans more than a block,
    so a quiet window after a busy season keeps its digits (one running sum over months had
    them cancel: 3.7e-6 expected, its variance off by a tenth)."""

    def __init__(self, x: np.ndarray, start: int = 0, block: int | None = None):
        n = x.shape[-1]
        self.block = block = block or max(n, 1)
        col = np.arange(n)
        self.begins = np.maximum(col - (start + col) % block, 0)     # the column its block begins at
        self.cum = np.empty(x.shape, np.result_type(x, np.int64) if x.dtype.kind in "biu" else x.dtype)
        for lo in np.unique(self.begins):
            hi = min(lo + block - (start + lo) % block, n)
            np.cumsum(x[..., lo:hi], axis=-1, out=self.cum[..., lo:hi])

    def _sums(self, cum_at, t: np.ndarray, w: int) -> np.ndarray:
        if w > self.block:
            raise ValueError(f"a window of {w} days over blocks of {self.block}")
        a = t - w                                   # the window is (a, t]
        begins = self.begins[t]
        at_before = cum_at(np.maximum(a, 0))       # gathered once (it was twice: a quarter of `at`)
        out = cum_at(t).astype(float, copy=False)
        inside = a >= begins                        # starts within t's block, after its first day
        crosses = (a < begins - 1) & (begins > 0)   # starts in the block before
        out -= np.where(inside, at_before, 0)
        out += np.where(crosses, cum_at(np.maximum(begins - 1, 0)) - np.where(a >= 0, at_before, 0), 0)
        return out

    def full(self, w: int, since: int = 0) -> np.ndarray:
        """`at` every cell from column `since` on, the same numbers in the same order, taken by
        slices of each block (gathering every column three times, as `at` does, was most of a
        city's detection); each column gets one of three operations, whatever `since`."""
        if w > self.block:
            raise ValueError(f"a window of {w} days over blocks of {self.block}")
        cum = self.cum
        out = cum[..., since:].astype(float)
        bounds = [*np.unique(self.begins).tolist(), cum.shape[-1]]
        for lo, hi in zip(bounds, bounds[1:]):
            if hi <= since:
                continue
            a = max(lo + w, since)                  # the window starts within the block
            if a < hi:
                out[..., a - since:hi - since] -= cum[..., a - w:hi - w]
            if lo > 0:                              # the window starts in the block before
                cross = min(lo + w - 1, hi)
                a, b = max(lo, since), min(w, cross)      # … before day 0: all of it
                if a < b:
                    out[..., a - since:b - since] += cum[..., lo - 1:lo]
                a = max(lo, w, since)
                if a < cross:
                    out[..., a - since:cross - since] += cum[..., lo - 1:lo] - cum[..., a - w:cross - w]
        return out

    def at(self, r: np.ndarray, t: np.ndarray, w: int) -> np.ndarray:
        return self._sums(lambda c: self.cum[r, c], t, w)


def excess_dispersion(total_mu: np.ndarray, total_excess: np.ndarray) -> np.ndarray:
    """φ of a sum of independent negative-binomial counts from Σμ and Σφμ² (the variance beyond
    the mean, summed as such: Σ(μ + φμ²) − Σμ loses it to rounding where φμ² is tiny); where
    nothing is expected φ is unused."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total_mu > 0, np.maximum(total_excess / total_mu ** 2, 1e-6), 1e-6)


def sum_dispersion(total_mu: np.ndarray, total_var: np.ndarray) -> np.ndarray:
    """φ of a sum of independent negative-binomial counts from Σμ and Σ(μ + φμ²)."""
    return excess_dispersion(total_mu, total_var - total_mu)
