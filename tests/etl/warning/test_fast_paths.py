"""The early-warning step made fast enough for a city (issue 18) computes what it computed before:
each fast path against the plain computation it replaced, kept here as the oracle."""
from __future__ import annotations

import itertools
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings, strategies as st

from etl.warning import baseline, detect, detectors, incidents, panel
from etl.warning.series import Cells
from tests.etl.warning.helpers import shipped_settings

# --- the oracles: the code before, on every cell ----------------------------------------------------

def _block_sums(x, w, days, s):
    """Window sums as detection takes them: running sums restarting on calendar blocks (their
    rounding differs from one running sum's; test_window_sums_from_running_sums_that_restart holds
    them to the plain sums on counts)."""
    return detectors.Cumulative(x, int(days[0]), s.lead_days).full(w)


def _full(defined, w):
    return detectors.window_sums(defined.astype(np.int32), w) == w


def _excess_before(a, tier, rows_ok, first, days, s, floor, storm_rows=None):
    defined = np.isfinite(a.mu)
    mu = np.nan_to_num(a.mu)
    today = defined & (a.y >= 1) & (a.y > mu) & rows_ok[:, None]
    today[:, :first] = False
    weak_rows = np.zeros(len(rows_ok), bool) if storm_rows is None else storm_rows & rows_ok
    out, weak = [], []
    for w in s.windows:
        c, b = _block_sums(a.y, w, days, s), _block_sums(mu, w, days, s)
        full = _full(defined, w) & (b > 0) & (c >= s.min_ratio * b)
        strong = today & full & (c - b >= s.min_excess)
        light = full & weak_rows[:, None] & (c >= detect.STORM_MIN_COUNT) & (c - b >= detect.STORM_MIN_EXCESS)
        light[:, :first] = False
        r, t = np.nonzero(strong | light)
        if not len(r):
            continue
        cc, bb = c[r, t], b[r, t]
        e = _block_sums(a.var - mu, w, days, s)[r, t]           # the variance beyond the mean, summed
        score = -np.log10(np.maximum(detectors.nb_tail(cc, bb, detectors.excess_dispersion(bb, e)), 1e-300))
        for mask, cut, sink in ((strong[r, t], floor, out), (light[r, t], s.storm_floor, weak)):
            k = mask & (score >= cut)
            sink.append(detect._records(detect.EXCESS, tier, r[k], days[t[k]], w, cc[k], bb[k], score[k],
                                        today=a.y[r[k], t[k]], today_expected=mu[r[k], t[k]]))
    return detect.concat_records(out), detect.concat_records(weak)


def _drop_before(a, tier, rows_ok, first, days, s, floor):
    defined = np.isfinite(a.mu)
    mu = np.nan_to_num(a.mu)
    today = defined & (a.y <= mu) & rows_ok[:, None]
    today[:, :first] = False
    out = []
    for w in s.drop_windows:
        c, b = _block_sums(a.y, w, days, s), _block_sums(mu, w, days, s)
        hit = today & (b >= s.drop_min_expected) & (c <= s.drop_max_ratio * b) & _full(defined, w)
        r, t = np.nonzero(hit)
        if not len(r):
            continue
        cc, bb = c[r, t], b[r, t]
        e = _block_sums(a.var - mu, w, days, s)[r, t]
        score = -np.log10(np.maximum(detectors.nb_lower(cc, bb, detectors.excess_dispersion(bb, e)), 1e-300))
        keep = score >= floor
        out.append(detect._records(detect.DROP, tier, r[keep], days[t[keep]], w, cc[keep], bb[keep], score[keep],
                                   today=a.y[r[keep], t[keep]], today_expected=mu[r[keep], t[keep]]))
    return detect.concat_records(out)


def _fit_before(X, y, w, iters=30):
    beta = np.zeros((y.shape[0], X.shape[1]))
    beta[:, 0] = np.log(np.maximum((y * w).sum(axis=1) / w.sum(axis=1), 1e-3))
    ridge = np.diag(np.r_[0.0, np.full(X.shape[1] - 1, 1e-4)])
    for _ in range(iters):
        eta = np.clip(beta @ X.T, -20, 20)
        mu = np.exp(eta)
        wm = w * mu
        z = eta + (y - mu) / mu
        lhs = np.matmul(X.T[None] * wm[:, None, :], X) + ridge
        new = np.linalg.solve(lhs, ((wm * z) @ X)[..., None])[..., 0]
        if np.max(np.abs(new - beta)) < 1e-6:
            return new
        beta = new
    return beta


def _pelt_before(x, penalty):
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
    return incidents.segment_starts(last)


# --- the fast paths against them ----------------------------------------------------------------------

def _random_arrays(seed: int, rows: int, days: int) -> panel.Arrays:
    rng = np.random.default_rng(seed)
    mu = rng.gamma(0.6, rng.uniform(0.05, 4, (rows, 1)), (rows, days))
    mu[rng.random((rows, days)) < 0.05] = np.nan                    # no expectation (a redrawn grid)
    mu[rng.integers(0, rows), : rng.integers(0, days)] = np.nan     # a grid not yet drawn
    y = rng.poisson(np.nan_to_num(mu) * rng.choice([0.0, 1.0, 3.0], (rows, days), p=[0.1, 0.8, 0.1])).astype(float)
    y[rng.integers(0, rows), rng.integers(0, days, 5)] += rng.integers(3, 30)   # outbreaks
    var = np.nan_to_num(mu + 0.05 * mu ** 2)
    return panel.Arrays(y, mu, var)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 12), st.integers(30, 90), st.integers(0, 29))
@example(0, 7, 88, 0)             # a score of 71 that one running sum's rounding moved by 2e-10
def test_records_only_where_a_cell_can_alarm_are_the_records_of_every_cell(seed, rows, days, first):
    a = _random_arrays(seed, rows, days)
    rng = np.random.default_rng(seed + 1)
    ok, storm = rng.random(rows) < 0.9, rng.random(rows) < 0.6
    s = shipped_settings(min_excess=1.0, drop_min_expected=3.0)
    t = np.arange(100, 100 + days)
    for storm_rows, dense_from in itertools.product((None, storm), (0.0, 2.0)):   # whole arrays, cells
        with mock.patch.object(detect, "DENSE_FROM", dense_from):
            got = detect.excess_records(a, 3, ok, first, t, s, 2.0, storm_rows)
        want = _excess_before(a, 3, ok, first, t, s, 2.0, storm_rows)
        for g, w in zip(got, want):
            pd.testing.assert_frame_equal(g.reset_index(drop=True), w.reset_index(drop=True), rtol=1e-12)
    pd.testing.assert_frame_equal(detect.drop_records(a, 5, ok, first, t, s, 1.0).reset_index(drop=True),
                                  _drop_before(a, 5, ok, first, t, s, 1.0).reset_index(drop=True), rtol=1e-12)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 40), st.integers(0, 100), st.integers(0, 40), st.integers(1, 90))
def test_window_sums_from_running_sums_that_restart(seed, w, start, extra, days):
    """Counts: the sums are exact; any start and block (at least the window) gives the same."""
    rng = np.random.default_rng(seed)
    x = rng.poisson(2.0, (5, days)).astype(float)
    sums = detectors.Cumulative(x, start, w + extra)
    np.testing.assert_array_equal(sums.full(w), detectors.window_sums(x, w))
    r, t = rng.integers(0, 5, 30), rng.integers(0, days, 30)
    np.testing.assert_array_equal(sums.at(r, t, w), detectors.window_sums(x, w)[r, t])
    flags = (x > 2).astype(np.int32)
    np.testing.assert_array_equal(detectors.Cumulative(flags, start, w + extra).full(w), detectors.window_sums(flags, w))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 28), st.integers(0, 6), st.integers(0, 6))
def test_a_days_window_sums_are_the_same_from_any_block_start(seed, w, k1, k2):
    """Floats: two arrays starting on different block starts give a day the same sums, to the bit."""
    rng = np.random.default_rng(seed)
    x = rng.gamma(0.3, rng.uniform(1e-6, 50, (4, 1)), (4, 300))
    k1, k2 = sorted((28 * k1, 28 * k2))
    a = detectors.Cumulative(x[:, k1:], k1, 28)
    b = detectors.Cumulative(x[:, k2:], k2, 28)
    np.testing.assert_array_equal(a.full(w)[:, k2 - k1 + w:], b.full(w)[:, w:])
    with pytest.raises(ValueError):
        a.full(29)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 6), st.sampled_from([60, 200, 400]))
def test_one_product_per_irls_step_fits_what_one_product_per_series_did(seed, series, n):
    rng = np.random.default_rng(seed)
    X = np.c_[np.ones(n), rng.integers(0, 2, (n, 9)), np.arange(n) / 365.25]
    y = rng.poisson(rng.uniform(0.2, 40, (series, 1)) * np.exp(0.3 * X[:, 1]), (series, n)).astype(float)
    w = np.where(rng.random((series, n)) < 0.05, 0.2, 1.0)
    np.testing.assert_allclose(baseline.fit_poisson(X, y, w), _fit_before(X, y, w), rtol=1e-8, atol=1e-8)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 40), st.integers(1, 50))
def test_cells_made_dense_or_read_by_row_add_up_as_cell_by_cell(seed, lo, width):
    rng = np.random.default_rng(seed)
    n = 300
    cells = Cells(rng.integers(0, 12, n), rng.integers(0, 90, n), rng.integers(1, 9, n))
    cells = cells.plus(cells.area[:20], cells.day[:20], np.full(20, 5))        # repeated cells add up
    want = np.zeros((12, width))
    keep = (cells.day >= lo) & (cells.day < lo + width)
    np.add.at(want, (cells.area[keep], cells.day[keep] - lo), cells.n[keep])
    np.testing.assert_array_equal(cells.dense(12, lo, lo + width), want)
    rows = rng.choice(12, rng.integers(1, 12), replace=False)
    np.testing.assert_array_equal(cells.rows(rows, lo, lo + width), want[rows])
    np.testing.assert_array_equal(cells.rows(rows, lo, lo + width), want[rows])    # from its index


def test_subclass_arrays_made_ahead_on_a_pool_are_the_same():
    """tier_arrays with a pool yields the same tiers and arrays as without."""
    from concurrent.futures import ThreadPoolExecutor

    from etl.warning.prepare import Tier

    rng = np.random.default_rng(3)
    days = np.arange(40)

    class Model:
        def __init__(self, k):
            self.k = k

        def mu(self, d):
            return np.full((4, len(d)), 0.5 + self.k)

        def dispersion(self, d):
            return np.full((4, len(d)), 0.1)

    codes = ["0101", "0102", "0201"]
    cells = {c: Cells(rng.integers(0, 4, 50), rng.integers(0, 40, 50), rng.integers(1, 4, 50)) for c in codes}
    tiers = [Tier("0101", "subclass", ("0101",), "a"), Tier("0102", "subclass", ("0102",), "b"),
             Tier("01", "class", ("0101", "0102"), "ab"), Tier("0201", "subclass", ("0201",), "c"),
             Tier("ALL", "all", tuple(codes), "all"), Tier("PATROL", "patrol", (), "p")]
    from scipy import sparse
    rows = type("Rows", (), {"n_areas": 4, "codes": np.arange(5), "grids": sparse.csr_matrix(
        (np.ones(6, np.float32), ([0, 1, 2, 3, 4, 4], [0, 1, 2, 2, 0, 1])), shape=(5, 3))})()
    p = type("P", (), {"tiers": tiers, "cells": cells, "models": {c: Model(i) for i, c in enumerate(codes)},
                       "categories": pd.DataFrame({"class_code": ["01", "01", "02"]}, index=codes),
                       "rows": rows, "areas": type("A", (), {"n_grids": 3})(),
                       "patrol": cells["0101"], "patrol_model": Model(9)})()
    alone = [(t.code, a.copy()) for t, a in panel.tier_arrays(p, days)]
    with ThreadPoolExecutor(2) as pool:
        ahead = [(t.code, a.copy()) for t, a in panel.tier_arrays(p, days, pool)]
    assert [c for c, _ in alone] == [c for c, _ in ahead] == ["0101", "0102", "01", "0201", "ALL", "PATROL"]
    for (_, x), (_, y) in zip(alone, ahead):
        for name in ("y", "mu", "var"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name))
    assert alone[-1][1].y.shape == (5, 40) and alone[-1][1].y[4].sum() == alone[-1][1].y[[0, 1]].sum()


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 220), st.floats(0.01, 20))
def test_change_points_in_plain_floats_are_those_numpy_found(seed, n, penalty):
    rng = np.random.default_rng(seed)
    x = np.log((rng.poisson(rng.choice([0.5, 3.0, 12.0], n)) + 0.5) / 3.5)     # a log ratio, with steps
    x[rng.random(n) < 0.1] = 0.0                                               # ties
    assert incidents.pelt(x, penalty) == _pelt_before(x, penalty)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 40), st.integers(0, 100), st.integers(0, 40), st.integers(1, 120),
       st.booleans())
def test_whole_array_window_sums_are_the_cell_by_cell_ones_to_the_bit(seed, w, start, extra, days, counts):
    """`full` (slices per block) gives every cell what `at` (the general formula) gives it."""
    rng = np.random.default_rng(seed)
    x = rng.poisson(2.0, (4, days)) if counts else rng.gamma(0.3, rng.uniform(1e-6, 50, (4, 1)), (4, days))
    sums = detectors.Cumulative(x, start, w + extra)
    r, t = np.divmod(np.arange(4 * days), days)
    np.testing.assert_array_equal(sums.full(w), sums.at(r, t, w).reshape(4, days))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 28), st.integers(0, 100), st.integers(1, 120),
       st.sampled_from([0.3, 5.0, 3e5]))
def test_window_sums_of_counts_from_one_running_sum_are_those_restarting_on_blocks(seed, w, start, days, rate):
    """detectors.Counts (one running sum over all the days) gives detection's sums of counts to
    the bit: the reports as floats (a city's daily total too), the days with an expectation as
    flags, at every cell and at cells picked out."""
    rng = np.random.default_rng(seed)
    y = rng.poisson(rate, (6, days)).astype(float)
    flags = rng.random((6, days)) < 0.8
    r, t = rng.integers(0, 6, 40), rng.integers(0, days, 40)
    for x, counts in ((y, detectors.Counts(y)), (flags.astype(np.int32), detectors.Counts(flags, np.int32))):
        blocks = detectors.Cumulative(x, start, 28)
        np.testing.assert_array_equal(counts.full(w), blocks.full(w))
        np.testing.assert_array_equal(counts.at(r, t, w), blocks.at(r, t, w))


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 28), st.integers(0, 100), st.integers(1, 120), st.integers(0, 130),
       st.booleans())
@example(seed=0, w=28, start=0, days=100, since=27, counts=False)        # a window reaching before day 0
@example(seed=0, w=5, start=3, days=60, since=25, counts=False)          # the first day of a block
@example(seed=0, w=10, start=27, days=60, since=5, counts=False)        # … a block begun on day 1, its windows reaching before day 0
def test_window_sums_from_a_day_on_are_those_of_every_day(seed, w, start, days, since, counts):
    """Detection takes the window sums of the days it tests only (`full(w, since)`): the columns
    of every day's from `since` on, to the bit, floats or counts, whatever the blocks."""
    rng = np.random.default_rng(seed)
    x = rng.poisson(2.0, (4, days)).astype(float) if counts else rng.gamma(0.3, rng.uniform(1e-6, 50, (4, 1)), (4, days))
    blocks = detectors.Cumulative(x, start, 28)
    np.testing.assert_array_equal(blocks.full(w, since), blocks.full(w)[:, since:])
    whole = detectors.Counts(np.round(x))
    np.testing.assert_array_equal(whole.full(w, since), whole.full(w)[:, since:])
