"""The expected count of every area × subclass × day, from the past only (domain brief §4).

Small areas have too few reports for a model of their own (a grid sees a subclass a few times a
year), so the baseline is split in two, as regional surveillance systems do:

- the **city's** daily count of the subclass follows a log-linear model in the Farrington-flexible
  / Noufaily style: trend, a level per month and per settings period (the heating season and its
  first weeks), day of week, public holidays, working weekends and long holidays,
  refitted every 4 weeks on up to three years before, past outbreaks down-weighted (Anscombe
  residuals over 2.58 get weight s⁻²);
- each area's **share** of it is its share of the subclass over the 52 weeks before the model's
  4-week block, ending a week before it, shrunk towards the area's share of all reports and
  corrected for the days a redrawn grid existed. Counts far above their expectation are capped
  before they enter a share, so past outbreaks are down-weighted there too;
- a **local level** on the city's expectation: how far the last 14 days' reports ran from what
  the model in force expected of them (`local_level`), so a season the model does not know yet,
  or a year unlike the last, moves every area's expectation within days.

Counts are negative binomial around the expectation, Var = μ + φμ², with φ estimated by moments
per level over the same trailing window. All of it works on the non-zero counts and on
(areas × weeks) sums, never on a dense (areas × days) array, so a city's thousands of grids cost
little; `Model.mu` makes the dense expectation only for the days asked."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from etl.warning.series import LEVELS, Areas, Calendar, Cells

WARMUP_WEEKS = 8     # history before the first expectation
BLOCK_WEEKS = 4      # models and shares change every 4 weeks
WINDOW_WEEKS = 52    # the share window
GUARD_WEEKS = 1      # between the share window and the block it serves
KAPPA = 10.0         # prior weight (in reports) of the all-subclass share
MIN_EXPOSURE = 28    # days an area must have existed in the window
WARMUP, BLOCK = 7 * WARMUP_WEEKS, 7 * BLOCK_WEEKS
LEVEL_DAYS = 14      # the local level: the city's reports of the last 14 days against the model
LEVEL_PRIOR = 10.0   # its weight towards 1, in reports


class Blocks:
    """Days → weeks → model blocks, and each block's share window in weeks."""

    def __init__(self, n_days: int):
        self.n_days = n_days
        self.week_of_day = np.arange(n_days) // 7
        self.n_weeks = int(self.week_of_day[-1]) + 1
        starts = np.arange(WARMUP_WEEKS, self.n_weeks, BLOCK_WEEKS)
        self.n_blocks = len(starts)
        week_block = np.full(self.n_weeks, -1)
        for k, s in enumerate(starts):
            week_block[s:s + BLOCK_WEEKS] = k
        self.block_of_week = week_block
        self.block_of_day = week_block[self.week_of_day]
        self.hi = np.maximum(starts - GUARD_WEEKS, 0)
        self.lo = np.maximum(self.hi - WINDOW_WEEKS, 0)

    def weekly(self, rows: np.ndarray, days: np.ndarray, values: np.ndarray, n_rows: int) -> np.ndarray:
        flat = np.asarray(rows, np.int64) * self.n_weeks + self.week_of_day[days]
        return np.bincount(flat, np.asarray(values, float), n_rows * self.n_weeks).reshape(n_rows, self.n_weeks)

    def window(self, weekly: np.ndarray) -> np.ndarray:
        """(rows × weeks) → (rows × blocks): the sum over each block's share window."""
        cum = np.zeros(weekly.shape[:-1] + (weekly.shape[-1] + 1,))
        np.cumsum(weekly, axis=-1, out=cum[..., 1:])
        return cum[..., self.hi] - cum[..., self.lo]


@dataclass
class Model:
    """One subclass's baseline: shares (areas × blocks), φ (levels × blocks), city μ (days)."""
    share: np.ndarray
    phi: np.ndarray
    city: np.ndarray
    blocks: Blocks
    areas: Areas

    def mu(self, days: np.ndarray) -> np.ndarray:
        """Dense (areas × len(days)) expectation; NaN where there is none."""
        k = self.blocks.block_of_day[days]
        mu = self.share[:, np.maximum(k, 0)] * self.city[days]
        mu[:, k < 0] = np.nan
        return np.where(self.areas.exists[:, days], mu, np.nan)

    def dispersion(self, days: np.ndarray) -> np.ndarray:
        k = np.maximum(self.blocks.block_of_day[days], 0)
        return self.phi[self.areas.level_of][:, k]

    def at(self, area: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """μ and φ at scattered cells."""
        k = self.blocks.block_of_day[day]
        mu = self.share[area, np.maximum(k, 0)] * self.city[day]
        mu = np.where((k >= 0) & self.areas.exists[area, day], mu, np.nan)
        return mu, self.phi[self.areas.level_of[area], np.maximum(k, 0)]


def design(cal: Calendar, idx: np.ndarray, months: bool, trend: bool) -> np.ndarray:
    """Intercept, trend, a level per month (seasons in Jilin are steps: construction stops when the
    ground freezes, snow comes in December), day of week, holidays, working weekends, long
    holidays, and each settings period (in it; in its first days)."""
    cols = [np.ones(len(idx))]
    if trend:
        cols.append(idx / 365.25)
    if months:
        month = cal.days[idx].astype("datetime64[M]").astype(int) % 12
        cols += [(month == m).astype(float) for m in range(1, 12)]
    cols += [(cal.dow[idx] == d).astype(float) for d in range(1, 7)]
    cols += [cal.off_weekday[idx].astype(float), cal.on_weekend[idx].astype(float),
             cal.long_holiday[idx].astype(float)]
    cols += list(cal.periods[idx].T)
    return np.column_stack(cols)


def fit_poisson(X: np.ndarray, y: np.ndarray, w: np.ndarray, iters: int = 30) -> np.ndarray:
    """IRLS for weighted Poisson log-linear models sharing one design: y and w are (series × n),
    the result (series × p). A small ridge keeps columns that never vary in the window (no
    holiday in it) from making a system singular. Every series' XᵀWX is one product, W against
    the rows' outer products, not one small product per series."""
    n, p = X.shape
    beta = np.zeros((y.shape[0], p))
    beta[:, 0] = np.log(np.maximum((y * w).sum(axis=1) / w.sum(axis=1), 1e-3))
    ridge = np.diag(np.r_[0.0, np.full(p - 1, 1e-4)])
    outer = (X[:, :, None] * X[:, None, :]).reshape(n, p * p)
    for _ in range(iters):
        eta = np.clip(beta @ X.T, -20, 20)
        mu = np.exp(eta)
        wm = w * mu
        z = eta + (y - mu) / mu
        lhs = (wm @ outer).reshape(-1, p, p) + ridge
        new = np.linalg.solve(lhs, ((wm * z) @ X)[..., None])[..., 0]
        if np.max(np.abs(new - beta)) < 1e-6:
            return new
        beta = new
    return beta


def _fit_window(cal, y, lo, hi):
    """Terms the window can carry: a year for the months, two for a trend."""
    span = hi - lo
    months, trend = span >= 365, span >= 730
    X = design(cal, np.arange(lo, hi), months, trend)
    yy = y[:, lo:hi].astype(float)
    beta = fit_poisson(X, yy, np.ones(yy.shape))
    mu = np.exp(np.clip(beta @ X.T, -20, 20))
    dof = max(yy.shape[1] - X.shape[1], 1)
    dispersion = np.maximum(1.0, ((yy - mu) ** 2 / mu).sum(axis=1, keepdims=True) / dof)
    anscombe = 1.5 * (yy ** (2 / 3) - mu ** (2 / 3)) / (mu ** (1 / 6) * np.sqrt(dispersion))
    w = np.where(anscombe > 2.58, np.maximum(anscombe, 1e-9) ** -2.0, 1.0)
    return fit_poisson(X, yy, w), months, trend


@threadpool_limits.wrap(limits=1, user_api="blas")
def city_expectation(y: np.ndarray, cal: Calendar) -> tuple[np.ndarray, np.ndarray]:
    """(subclasses × days) city counts → (expectations, and for each day the same model's
    expectation of the LEVEL_DAYS days before it: subclasses × days × LEVEL_DAYS, for the local
    level). Prospective: the block [b, b + BLOCK) is predicted by models fitted on the days
    before b. BLAS on one thread: its products here are small, and OpenBLAS's threads spinning
    for a busy core made the fits 30 times slower on a shared 2-core machine."""
    S, T = y.shape
    mu = np.full((S, T), np.nan)
    back = np.full((S, T, LEVEL_DAYS), np.nan)
    for b in range(WARMUP, T, BLOCK):
        e = min(b + BLOCK, T)
        lo = max(0, b - 3 * 365) if b >= 365 else max(0, b - WARMUP)
        span = np.arange(b - LEVEL_DAYS, e)                   # the block, and the days its level reads
        pred = np.full((S, len(span)), np.nan)
        rare = y[:, lo:b].sum(axis=1) < 5            # too rare to model: the plain mean
        pred[rare] = np.maximum(y[rare, lo:b].mean(axis=1), 0.5 / (b - lo))[:, None]
        if (~rare).any():
            beta, months, trend = _fit_window(cal, y[~rare], lo, b)
            X = design(cal, span, months, trend)
            pred[~rare] = np.exp(np.clip(beta @ X.T, -20, 20))
        pred[:, span < 0] = np.nan
        mu[:, b:e] = pred[:, LEVEL_DAYS:]
        back[:, b:e] = np.lib.stride_tricks.sliding_window_view(pred[:, :-1], LEVEL_DAYS, axis=1)[:, :e - b]
    return mu, back


def _level_totals(areas: Areas, a: np.ndarray) -> np.ndarray:
    """Each row replaced by the total of its level's rows (NaN counted as 0)."""
    return (areas.level_matrix @ np.nan_to_num(a))[areas.level_of]


def exposure_factor(areas: Areas, blocks: Blocks) -> np.ndarray:
    """(areas × blocks): days in the share window / days the area existed in it; NaN under
    MIN_EXPOSURE days."""
    rows, days = np.nonzero(areas.exists)
    existed = blocks.window(blocks.weekly(rows, days, np.ones(len(rows)), len(areas.codes)))
    length = blocks.window(blocks.weekly(np.zeros(blocks.n_days, int), np.arange(blocks.n_days),
                                         np.ones(blocks.n_days), 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((existed >= MIN_EXPOSURE) & (length >= MIN_EXPOSURE), length / existed, np.nan)


def prior_shares(areas: Areas, blocks: Blocks, every: list[Cells], exposure: np.ndarray) -> np.ndarray:
    """Each area's share of all reports at its level, over each block's share window."""
    weekly = sum(blocks.weekly(c.area, c.day, c.n, len(areas.codes)) for c in every)
    adjusted = blocks.window(weekly) * exposure
    return np.nan_to_num(adjusted / np.maximum(_level_totals(areas, adjusted), 1e-9))


def _shares(areas, blocks, cells, n, prior, exposure):
    window = blocks.window(blocks.weekly(cells.area, cells.day, n, len(areas.codes)))
    return (window * exposure + KAPPA * prior) / (_level_totals(areas, window) + KAPPA)


def _dispersion(areas, blocks, cells, n, share, city):
    """φ per level and block by moments: Σ((y − μ)² − μ) / Σμ² over the share window. The sums
    over all cells split into the non-zero cells and closed forms over the shares."""
    mu, _ = Model(share, np.zeros((areas.level_matrix.shape[0], blocks.n_blocks)),
                  city, blocks, areas).at(cells.area, cells.day)
    ok = np.isfinite(mu)
    levels = areas.level_of[cells.area]
    sparse_part = blocks.weekly(levels[ok], cells.day[ok], n[ok] ** 2 - 2 * n[ok] * mu[ok],
                                areas.level_matrix.shape[0])
    m = np.nan_to_num(city)
    week_m1 = np.bincount(blocks.week_of_day, m, blocks.n_weeks)
    week_m2 = np.bincount(blocks.week_of_day, m ** 2, blocks.n_weeks)
    s = np.nan_to_num(share)
    s1, s2 = areas.level_matrix @ s, areas.level_matrix @ s ** 2          # (levels × blocks)
    kw = blocks.block_of_week
    has = kw >= 0
    sq = np.where(has, s2[:, np.maximum(kw, 0)] * week_m2, 0.0)
    lin = np.where(has, s1[:, np.maximum(kw, 0)] * week_m1, 0.0)
    num, den = blocks.window(sparse_part + sq - lin), blocks.window(sq)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.clip(np.nan_to_num(num / den, nan=0.01), 0.01, 5.0)


def fit(areas: Areas, blocks: Blocks, cells: Cells, city: np.ndarray, prior: np.ndarray,
        exposure: np.ndarray, back: np.ndarray | None = None) -> Model:
    """One subclass: `city` and `back` are its rows of city_expectation. Two passes: the second
    caps counts far above the first pass's expectation before they enter the shares, the local
    level and φ."""
    if blocks.n_blocks == 0:            # under WARMUP_WEEKS of data: no baseline yet
        return Model(np.full((len(areas.codes), 1), np.nan), np.full((len(LEVELS), 1), 0.01),
                     city, blocks, areas)
    n = cells.n.astype(float)
    share = _shares(areas, blocks, cells, n, prior, exposure)
    phi = _dispersion(areas, blocks, cells, n, share, city)
    mu, phi_cells = Model(share, phi, city, blocks, areas).at(cells.area, cells.day)
    cap = np.maximum(np.ceil(mu + 3 * np.sqrt(mu * (1 + phi_cells * mu))), 1)
    capped = np.where(np.isfinite(mu), np.minimum(n, cap), n)
    share = _shares(areas, blocks, cells, capped, prior, exposure)
    if back is not None:
        city = city * local_level(areas, cells, capped, back)
    return Model(share, _dispersion(areas, blocks, cells, capped, share, city), city, blocks, areas)


def local_level(areas: Areas, cells: Cells, capped: np.ndarray, back: np.ndarray) -> np.ndarray:
    """Per day, how far the city's reports of the last LEVEL_DAYS days ran above or below what the
    model in force that day expects of them (`back`: city_expectation's): (Σ reports + κ) /
    (Σ expected + κ), κ = LEVEL_PRIOR reports, the one day that strays most left out. A season
    that starts on a date the model does not know yet (its first heating season), or a year
    unlike the last, moves every area's expectation within days instead of weeks of alarms. The
    reports are the grids' counts capped at the model's bound (`capped`), so an outbreak in a few
    grids hardly moves it; a change everywhere does. The same model on both sides: a level carried
    from the residuals of the block before would count a season twice once the new block's model
    knows it (the first heating season was expected at 1,300 complaints a day, 213 came). The day
    left out is the one a season the model knows starts a day later than its date (3 complaints
    against an expected 117): it would pull the level down just before the surge. 1 where the
    window has no expectation."""
    grid = cells.area < areas.n_grids
    T = back.shape[0]
    y = np.bincount(cells.day[grid], capped[grid], T)
    ys = np.full((T, LEVEL_DAYS), np.nan)
    ys[LEVEL_DAYS:] = np.lib.stride_tricks.sliding_window_view(y[:-1], LEVEL_DAYS)[:T - LEVEL_DAYS]
    whole = np.isfinite(back).all(axis=1) & np.isfinite(ys).all(axis=1)
    m = np.nan_to_num(back)
    yy = np.nan_to_num(ys)
    stray = np.argmax(np.abs(yy - m) / np.sqrt(m + 1), axis=1)
    keep = np.ones((T, LEVEL_DAYS), bool)
    keep[np.arange(T), stray] = False
    level = ((yy * keep).sum(axis=1) + LEVEL_PRIOR) / ((m * keep).sum(axis=1) + LEVEL_PRIOR)
    return np.where(whole, level, 1.0)
