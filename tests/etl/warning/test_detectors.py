"""The detectors against reference implementations: negative binomial tails and bounds (scipy,
the bisection they replaced), window sums, EARS by hand."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import special, stats

from etl.warning import detectors


def _nb(mu, phi):
    n = 1 / phi
    return stats.nbinom(n, n / (n + mu))


def test_negative_binomial_tails_and_bound_match_scipy():
    mu = np.array([0.02, 0.3, 1.0, 7.3, 50.0, 400.0])
    phi = np.array([0.01, 0.5, 0.2, 0.05, 1.0, 0.02])
    y = np.array([1, 2, 5, 20, 300, 500])
    np.testing.assert_allclose(detectors.nb_tail(y, mu, phi), _nb(mu, phi).sf(y - 1), rtol=1e-8)
    np.testing.assert_allclose(detectors.nb_lower(y, mu, phi), _nb(mu, phi).cdf(y), rtol=1e-8)
    assert detectors.nb_tail(np.array([0]), np.array([1.0]), np.array([0.1]))[0] == 1.0


def _bisected_upper(mu, phi, alpha):
    """The oracle: the hand-written bisection nb_upper was before it took scipy's quantile, the
    smallest u with P(Y ≤ u) ≥ 1 − α on the regularised incomplete beta, with its bracket grown
    until it holds (the fixed one, ⌈μ + 10·sd + 10⌉, fell short for φ ≳ 8.7 at α = 0.001 and
    then returned the bracket)."""
    n = 1.0 / phi
    q = n / (n + mu)
    lo = np.full(n.shape, -1.0)                     # P(Y ≤ lo) < 1 − α
    hi = np.ceil(mu + 10 * np.sqrt(mu * (1 + phi * mu)) + 10)
    while (short := special.betainc(n, hi + 1.0, q) < 1 - alpha).any():
        hi = np.where(short, 2 * hi, hi)
    while (hi - lo > 1).any():
        mid = np.floor((lo + hi) / 2)
        ok = (special.betainc(n, np.maximum(mid, 0) + 1.0, q) >= 1 - alpha) & (mid >= 0)
        hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid)
    return hi


def test_the_upper_bound_is_the_bisection_it_replaced_in_200000_drawn_cases():
    rng = np.random.default_rng(20261206)
    size = 200_000
    mu = np.exp(rng.uniform(np.log(1e-4), np.log(2e4), size))
    phi = np.exp(rng.uniform(np.log(1e-6), np.log(20.0), size))     # the model clips φ to [0.01, 5]
    alpha = rng.choice([0.05, 0.001, 1e-4], size)
    for a in np.unique(alpha):
        on = alpha == a
        got = detectors.nb_upper(mu[on], phi[on], a)
        want = _bisected_upper(mu[on], phi[on], a)
        assert (got == want).all(), np.flatnonzero(got != want)[:5]
        assert len(np.unique(got)) > 5000 and (got == 0).mean() < 0.5    # the draw spans the bounds


@settings(max_examples=300, deadline=None)
@given(mu=st.one_of(st.just(0.0), st.floats(0.0, 1e5)),
       phi=st.one_of(st.just(0.0), st.floats(0.0, 50.0)),
       alpha=st.sampled_from([0.05, 0.01, 0.001, 1e-5]))
def test_the_upper_bound_at_its_edges_poisson_and_nothing_expected(mu, phi, alpha):
    got = detectors.nb_upper(np.array([mu]), np.array([phi]), alpha)[0]
    if phi * mu < detectors.POISSON_BELOW:           # φ → 0, or μ = 0: the Poisson limit
        assert got == stats.poisson.ppf(1 - alpha, mu)
    else:
        assert got == _bisected_upper(np.array([mu]), np.array([phi]), alpha)[0]
    assert mu > 0 or got == 0


def test_window_sums_and_the_dispersion_of_a_sum():
    x = np.array([[1.0, 2, 3, 4, 5]])
    np.testing.assert_array_equal(detectors.window_sums(x, 2), [[1, 3, 5, 7, 9]])
    np.testing.assert_array_equal(detectors.window_sums(x, 9), [[1, 3, 6, 10, 15]])
    # three days of NB(μ=2, φ=0.5): Σμ = 6, Σvar = 3·(2 + 0.5·4) = 12 → φ = (12 − 6) / 36
    assert detectors.sum_dispersion(np.array([6.0]), np.array([12.0]))[0] == pytest.approx(6 / 36)


def test_ears_c1_c2_c3_by_hand():
    y = np.array([1, 1, 2, 1, 1, 2, 1, 1, 1, 1, 9, 9, 9], float)
    out = detectors.ears(y[None])
    base = y[3:10]                       # C1 on day 10: the 7 days before it
    assert out["c1"][0, 10] == pytest.approx((9 - base.mean()) / base.std(ddof=1))
    base2 = y[1:8]                       # C2 on day 10: 7 days ending 3 days before
    c2 = (9 - base2.mean()) / base2.std(ddof=1)
    assert out["c2"][0, 10] == pytest.approx(c2) and out["mean_c2"][0, 10] == pytest.approx(base2.mean())
    assert np.isnan(out["c1"][0, 6]) and np.isnan(out["c3"][0, 10])
    c2s = out["c2"][0, 10:13]
    assert out["c3"][0, 12] == pytest.approx(np.maximum(c2s - 1, 0).sum())
