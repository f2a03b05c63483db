"""Temporal aberration detectors on (series × days) arrays (domain brief §4).

- `nb_tail`: P(Y ≥ y) under the negative-binomial baseline; an alarm when it is below α.
- `cusum`: a one-sided CUSUM on the baseline's standardised residuals. Counts this sparse are far
  from normal, so the residual is the normal quantile of the count's mid-p value under the
  baseline (a randomisation-free PIT residual): N(0, 1)-like when the baseline is right.
- `ears`: CDC's EARS C1, C2 and C3 on the raw counts, the usual comparators.
Scores grow with the evidence of an excess, so methods can be compared at equal false-alarm rate
by a threshold on their score."""
from __future__ import annotations

import numpy as np
from scipy import special

CUSUM_K = 0.5
CUSUM_CAP = 10.0
EARS_MIN_SD = 0.2     # a flat baseline week has sd 0; EARS implementations floor it


def _size_prob(mu, phi):
    """NB(n, p) with mean mu and Var = mu + phi·mu²."""
    n = 1.0 / phi
    return n, n / (n + mu)


def _cdf(k, n, p):
    """P(Y ≤ k), k ≥ 0."""
    return special.betainc(n, k + 1.0, p)


def _pmf(k, n, p):
    with np.errstate(divide="ignore"):
            return np.exp(special.gammaln(k + n) - special.gammaln(n) - special.gammaln(k + 1.0)
                      + n * np.log(p) + k * np.log1p(-p))


def nb_tail(y: np.ndarray, mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """P(Y ≥ y); 1 where nothing was reported or there is no baseline."""
    p = np.ones(y.shape)
    hit = (y > 0) & np.isfinite(mu)
    n, q = _size_prob(mu[hit], phi[hit])
    p[hit] = special.betainc(y[hit].astype(float), n, 1.0 - q)     # = 1 − F(y − 1), accurately
    return p


def nb_upper(mu: np.ndarray, phi: np.ndarray, alpha: float) -> np.ndarray:
    """The baseline's upper bound: the smallest u with P(Y > u) ≤ α (alarms are counts above
    it), by bisection on the CDF."""
    n, q = _size_prob(np.asarray(mu, float), np.asarray(phi, float))
    lo = np.full(n.shape, -1.0)                     # P(Y ≤ lo) < 1 − α
    hi = np.ceil(mu + 10 * np.sqrt(mu * (1 + phi * mu)) + 10)
    while (hi - lo > 1).any():
        mid = np.floor((lo + hi) / 2)
        ok = _cdf(np.maximum(mid, 0), n, q) >= 1 - alpha
        ok &= mid >= 0
        hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid)
    return hi


def pit_residual(y: np.ndarray, mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Φ⁻¹(F(y − 1) + f(y)/2); 0 where there is no baseline."""
    ok = np.isfinite(mu)
    n, q = _size_prob(np.where(ok, mu, 1.0), phi)
    mid = 0.5 * q ** n                                   # y = 0: half of P(Y = 0)
    hit = (y > 0) & ok
    if hit.any():
        k, nh, qh = y[hit].astype(float), n[hit], q[hit]
        mid[hit] = _cdf(k - 1, nh, qh) + 0.5 * _pmf(k, nh, qh)
    return np.where(ok, special.ndtri(np.clip(mid, 1e-12, 1 - 1e-12)), 0.0)


def cusum(z: np.ndarray, k: float = CUSUM_K, cap: float = CUSUM_CAP) -> np.ndarray:
    """S_t = min(cap, max(0, S_{t−1} + z_t − k)) along the last axis. No reset after an alarm:
    the statistic stays up while the excess lasts; the cap lets it come down within days after."""
    s = np.zeros(z.shape)
    prev = np.zeros(z.shape[:-1])
    for t in range(z.shape[-1]):
        prev = np.minimum(cap, np.maximum(0.0, prev + z[..., t] - k))
        s[..., t] = prev
    return s


def _rolling(cum: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    return cum[..., t1] - cum[..., t0]


def ears(y: np.ndarray) -> dict[str, np.ndarray]:
    """C1: 7-day baseline ending yesterday; C2: the same ending three days ago (2-day guard);
    C3: the sum of C2's excess over 1 on the last three days. NaN for the first 9 days."""
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
    excess = np.nan_to_num(np.maximum(out["c2"] - 1, 0))
    c3 = excess.copy()
    c3[..., 1:] += excess[..., :-1]
    c3[..., 2:] += excess[..., :-2]
    c3[..., :11] = np.nan
    out["c3"] = c3
    return out
