"""Seasons and the local level: the city baseline follows a step-shaped season, the local level
follows a change everywhere and compares reports with the model in force."""
from __future__ import annotations

import numpy as np
import pytest

from etl.warning import baseline
from etl.warning.series import Calendar, period_columns
from etl.warning.settings import Period


def _calendar(days, periods=()):
    dow = (days.astype("int64") - 4) % 7
    none = np.zeros(len(days), bool)
    return Calendar(days, dow, none, none, none, period_columns(days, periods))


def test_the_city_baseline_follows_a_step_shaped_season():
    """Three years of a subclass at 20 a day that jumps to 60 from 25 Oct to 5 Apr (heating): in
    the third season the expectation is on the step, not on a sine through it (two harmonics
    missed such a step by half for weeks)."""
    days = np.arange(np.datetime64("2023-11-01"), np.datetime64("2026-11-30"))
    cal = _calendar(days, [Period("供暖期", (10, 25), (4, 5), 21)])
    heating = cal.periods[:, 0].astype(bool)
    rate = np.where(heating, 60.0, 20.0)
    y = np.random.default_rng(1).poisson(rate)[None].astype(float)
    mu = baseline.city_expectation(y, cal)[0][0]
    last = days >= np.datetime64("2026-10-01")
    ratio = mu[last] / rate[last]
    assert np.all((ratio > 0.75) & (ratio < 1.33)), ratio.round(2)


def test_the_local_level_follows_a_change_everywhere_not_a_few_grids_nor_one_stray_day():
    class Areas:
        n_grids = 10
    T = 60
    back = np.full((T, baseline.LEVEL_DAYS), 10.0)            # the model expects 10 a day
    day = np.repeat(np.arange(T), 10)
    area = np.tile(np.arange(10), T)
    cells = type("C", (), {"area": area, "day": day})
    # every grid's count doubles from day 30 (a change everywhere): the level follows
    level = baseline.local_level(Areas, cells, np.where(day >= 30, 2.0, 1.0), back)
    assert level[25] == pytest.approx(1.0, abs=0.05) and level[50] > 1.7
    # the same extra reports in one grid, capped at its bound as the fit does: hardly any change
    assert baseline.local_level(Areas, cells, np.where((day >= 30) & (area == 0), 3.0, 1.0), back)[50] < 1.25
    # a fall everywhere lowers it; one stray day (a season starting a day late) does not
    assert baseline.local_level(Areas, cells, np.where(day >= 30, 0.3, 1.0), back)[50] < 0.45
    assert baseline.local_level(Areas, cells, np.where(day == 40, 0.0, 1.0), back)[45] == pytest.approx(1.0, abs=0.01)


def test_the_local_level_compares_reports_with_the_model_in_force():
    """The expectation of the days before a block is the block's own model's: across a refit it
    is never another model's (a level learnt from the old model's misses, applied to a new model
    that no longer misses, counted the first heating season twice)."""
    days = np.arange(np.datetime64("2024-01-01"), np.datetime64("2024-12-31"))
    cal = _calendar(days)
    y = np.random.default_rng(2).poisson(np.linspace(5, 40, len(days)))[None].astype(float)
    mu, back = baseline.city_expectation(y, cal)
    L = baseline.LEVEL_DAYS
    differ = 0
    for b in range(baseline.WARMUP + baseline.BLOCK, len(days) - L, baseline.BLOCK):
        np.testing.assert_allclose(back[0, b + L], mu[0, b:b + L])          # inside the block: its own days
        np.testing.assert_allclose(back[0, b + 3, -3:], mu[0, b:b + 3])
        differ += not np.allclose(back[0, b + 3, :-3], mu[0, b + 3 - L:b])  # before it: the new model's
    assert differ >= 3
