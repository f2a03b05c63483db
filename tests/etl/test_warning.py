"""Early warning, the parts: the tests against reference implementations and hand-made series
(detectors, seasons, the local level, resets, drops, storms, incidents, the screen's budget,
rules against the area's own history), the truth format, and that nothing looks ahead."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from scipy import special, stats

from etl.warning import baseline, detect, detectors, incidents, panel, screen, track, truth
from etl.warning.series import Calendar, period_columns
from etl.warning.settings import DEFAULT_FILE, Period, Settings, SettingsError, load


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


def test_pelt_finds_a_step():
    rng = np.random.default_rng(3)
    x = np.r_[rng.normal(0, 0.3, 60), rng.normal(1.5, 0.3, 40)]
    points = incidents.pelt(x, 2 * 0.3 ** 2 * np.log(len(x)) * 2)
    assert any(abs(p - 60) <= 2 for p in points) and len(points) <= 3


def test_an_incident_is_reviewed_where_its_excess_is():
    """Levels 0 grid … 2 street, 3 district. One grid's surge: its street and district alarm with
    the same excess, the grid is the main area, and among grids the strongest alert's."""
    area, level = np.array([10, 11, 20, 30, 30]), np.array([0, 0, 2, 3, 3])
    local = incidents.main_area(area, level, np.array([6.0, 1.0, 6.5, 3.5, 3.5]),
                                np.array([4.0, 5.0, 3.0, 2.0, 2.5]))
    assert local == 10                   # grid 11 scores higher but holds little of the excess
    spread = incidents.main_area(area, level, np.array([2.0, 1.0, 12.0, 10.0, 12.0]),
                                 np.array([4.0, 5.0, 3.0, 2.0, 2.5]))
    assert spread == 20                  # no grid holds half the district's excess: the street
    # a drop's deficit counts like an excess (its size, not its sign)
    assert incidents.main_area(area, level, np.array([-6.0, -1.0, -6.5, -3.5, -3.5]), np.ones(5)) == 10


# --- seasons and the local level -----------------------------------------------------------------

def test_period_columns_run_over_the_new_year_and_know_their_first_days():
    days = np.arange(np.datetime64("2024-10-20"), np.datetime64("2025-04-10"))
    cols = period_columns(days, [Period("供暖期", (10, 25), (4, 5), 21)])
    inside, week, rest = cols.T.astype(bool)
    assert days[inside][0] == np.datetime64("2024-10-25") and days[inside][-1] == np.datetime64("2025-04-05")
    assert inside[days == np.datetime64("2025-01-01")].all()
    assert week.sum() == 7 and days[week][0] == np.datetime64("2024-10-25")
    assert rest.sum() == 14 and days[rest][-1] == np.datetime64("2024-11-14")
    # a span that opens inside the season cannot see its start: no onset days
    later = period_columns(days[30:], [Period("供暖期", (10, 25), (4, 5), 21)])
    assert later[:, 1:].sum() == 0 and later[:, 0].sum() == inside[30:].sum()


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


# --- detection on hand-made arrays ----------------------------------------------------------------

def _settings(**kw) -> Settings:
    return dataclasses.replace(load(DEFAULT_FILE), **kw)


def _arrays(y, mu, phi=0.01):
    y, mu = np.atleast_2d(np.asarray(y, float)), np.atleast_2d(np.asarray(mu, float))
    return panel.Arrays(y, mu, mu + phi * mu ** 2)


def test_a_spike_alarms_once_and_its_reports_never_alarm_again():
    """A grid expecting 0.1 a day gets 4, 4, 4, then its usual: without the reset its 14- and
    28-day windows would keep alarming on every later report for four weeks."""
    s = _settings()
    T = 80
    y = np.zeros(T)
    y[40:43] = 4
    y[[50, 55, 61, 66]] = 1                          # ordinary single reports afterwards
    a = _arrays(y, np.full(T, 0.1))
    found, _ = detect.excess_records(a, 0, np.array([True]), 30, np.arange(T), s, s.threshold)
    assert set(found["day"]) >= {41, 42} and found["day"].max() > 42      # without a reset: later too
    alarms = detect.reset(found)
    assert list(alarms["day"]) == [41]
    # no alarm on a day with no report, whatever the window holds
    assert (y[found["day"]] >= 1).all()


def test_a_silent_grid_is_a_drop_and_a_quiet_one_is_not():
    s = _settings()
    T = 60
    mu = np.full((2, T), 2.0)
    y = np.random.default_rng(4).poisson(mu).astype(float)
    y[0, 40:] = 0                                    # grid 0: its worker stops patrolling
    y[1, 40:] = np.where(np.arange(20) % 2, 1, 2)    # grid 1: a quieter fortnight, not a silence
    found = detect.drop_records(_arrays(y, mu), 0, np.array([True, True]), 30, np.arange(T), s, s.drop_threshold)
    assert set(found["row"]) == {0}
    assert found["day"].min() <= 40 + max(s.drop_windows)
    assert (found["observed"] <= s.drop_max_ratio * found["expected"]).all()


def test_several_subclasses_up_together_are_one_storm():
    """Three subclasses in one 片区, each a little up (none enough alone), make a storm record; one
    subclass alone does not."""
    s = _settings()
    T = 40
    mu = np.full(T, 0.3)
    weak = []
    for tier in range(3):
        y = np.zeros(T)
        y[35:37] = 2 + (tier == 0)
        strong, light = detect.excess_records(_arrays(y, mu), tier, np.array([True]), 30, np.arange(T), s,
                                              s.threshold, storm_rows=np.array([True]))
        assert strong[strong["day"] == 35].empty            # no subclass alarms on its own on day 1
        weak.append(light)
    storm = detect.storms(pd.concat(weak, ignore_index=True), 9, s)
    best = storm.loc[storm["score"].idxmax()]
    assert best["members"] == (0, 1, 2) or set(best["members"]) == {0, 1, 2}
    assert best["score"] >= s.storm_threshold and best["tier"] == 9
    assert detect.storms(weak[0], 9, s).empty


# --- incidents and the screen ---------------------------------------------------------------------

class _Rows:
    """Three grids in a row 1 km apart, their community and the district."""
    levels = np.array(["grid", "grid", "grid", "community", "district"], dtype=object)
    codes = np.array(["220204001001001", "220204001001002", "220204001001003", "220204001001", "220204"],
                     dtype=object)
    names = codes
    n_areas = 5
    skip = np.zeros(5, bool)
    grids = [[0], [1], [2], [0, 1, 2], [0, 1, 2]]

    def footprint(self, row):
        return np.array(self.grids[row])


def _p():
    from etl.warning.prepare import Tier
    tiers = [Tier("0101", "subclass", ("0101",), "A"), Tier("0102", "subclass", ("0102",), "B"),
             Tier("01", "class", ("0101", "0102"), "A+B"), Tier("ALL", "all", ("0101", "0102"), "全部"),
             Tier("MULTI", "multi", ("0101", "0102"), "多类"), Tier("PATROL", "patrol", (), "巡查"),
             Tier("0103", "subclass", ("0103",), "C")]
    cal = type("Cal", (), {"days": np.arange(np.datetime64("2026-01-01"), np.datetime64("2026-12-31"))})
    areas = type("Areas", (), {"n_grids": 3})
    return type("P", (), {"rows": _Rows(), "tiers": tiers, "cal": cal, "areas": areas,
                          "near": [np.array([0, 1]), np.array([0, 1, 2]), np.array([1, 2])]})()


def _alarm(day, row, tier, score=7.0, observed=5.0, expected=0.5, kind="excess", window=1, members=None):
    return {"kind": kind, "tier": tier, "row": row, "day": day, "window": window, "observed": observed,
            "expected": expected, "score": score, "rule": None, "today": observed, "today_expected": expected,
            "members": members}


def _track(alarms, s=None, first=0, last=None):
    s = s or _settings()
    frame = pd.DataFrame(alarms).sort_values(["day", "kind", "tier", "row"], kind="stable").reset_index(drop=True)
    tracker = track.Tracker(_p(), s)
    ids = []
    shown = []
    last = frame["day"].max() if last is None else last
    for t in range(first, last + 1):
        today = frame[frame["day"] == t]
        if len(today):
            ids += tracker.day(t, today)
        shown.append(screen.show(tracker.shown(t), t, s))
    return frame.assign(incident=[tracker.find(i) for i in ids]), shown


def test_one_long_misfit_is_one_row_a_day():
    alarms = [_alarm(d, 4, 3, observed=300, expected=200, window=7) for d in range(10, 70)]
    frame, shown = _track(alarms)
    assert frame["incident"].nunique() == 1
    assert max(len(day) for day in shown) == 1


def test_a_district_alarm_a_grid_outbreak_explains_joins_it():
    alarms = [_alarm(5, 0, 0, observed=8, expected=0.4),
              _alarm(5, 4, 0, score=6.5, observed=60, expected=50)]        # excess 10, the grid holds 7.6
    frame, shown = _track(alarms)
    assert frame["incident"].nunique() == 1 and len(shown[-1]) == 1


def test_a_street_alarm_over_a_week_is_explained_by_a_step_that_reset_three_times():
    """A grid's step alarms every other day (each alarm a 2-day window after the reset, 4 reports
    above expectation). The street's 7-day window sees 14 above: the grid's three alarms in that
    week hold 12 of them, so it is the grid's incident, not a second row (the largest single
    alarm holds 4)."""
    alarms = [_alarm(d, 0, 0, observed=4.4, expected=0.4, window=2) for d in (10, 12, 14)]
    alarms.append(_alarm(14, 4, 0, score=5.8, observed=64, expected=50, window=7))
    frame, shown = _track(alarms)
    assert frame["incident"].nunique() == 1 and len(shown[-1]) == 1


def test_a_long_incident_does_not_swallow_a_new_one_of_another_subclass_next_door():
    """Subclass A alarms in grid 0 for weeks; subclass B starts in grid 1 on day 30: two rows,
    the new one first."""
    alarms = [_alarm(d, 0, 0) for d in range(5, 40)] + [_alarm(d, 1, 1, score=6.2) for d in (30, 31)]
    frame, shown = _track(alarms)
    assert frame.groupby("tier")["incident"].nunique().tolist() == [1, 1]
    assert frame["incident"].nunique() == 2
    today = shown[31]
    assert [r["new"] for r in today] == [True, False] and today[0]["incident_id"] == frame.loc[frame["tier"] == 1, "incident"].iloc[0]


def test_an_old_incident_never_takes_in_a_new_subject():
    """Subclass A alarms in grid 0 for a month. A storm of A and C starts in grid 2 (not next to
    grid 0): its own incident. An alarm of A in grid 1, between them, joins the old incident; the
    storm's incident stays its own (a long incident that merged whatever shared a subclass with it
    grew to 36 subclasses and five months)."""
    alarms = [_alarm(d, 0, 0) for d in range(10, 41)]
    alarms += [_alarm(35, 2, 4, score=6.5, observed=9, expected=1, window=2, members=(0, 6)),
               _alarm(36, 1, 0, score=6.2)]
    frame, _ = _track(alarms)
    assert frame["incident"].nunique() == 2
    assert frame.loc[frame["tier"] == 4, "incident"].iloc[0] != frame.loc[frame["day"] == 10, "incident"].iloc[0]


def test_a_storm_of_several_subclasses_in_neighbouring_grids_is_one_incident():
    """Subclass A in grid 0 and B in grid 1 on the same day are two incidents, unless the storm
    test finds them rising together in one place (a MULTI alarm on their community): then one."""
    apart = [_alarm(20, 0, 0), _alarm(20, 1, 1, score=6.1), _alarm(21, 2, 1, score=6.3)]
    frame, _ = _track(apart)
    assert frame["incident"].nunique() == 2
    storm = apart + [_alarm(20, 3, 4, score=6.5, observed=9, expected=1, window=2, members=(0, 1))]
    frame, shown = _track(storm)
    assert frame["incident"].nunique() == 1 and len(shown[-1]) == 1


def test_incident_ids_are_stable_whatever_day_tracking_starts():
    alarms = [_alarm(d, 0, 0) for d in (50, 51, 52)]
    a, _ = _track(alarms, first=0)
    b, _ = _track(alarms, first=45)
    assert a["incident"].iloc[0] == b["incident"].iloc[0]


def test_the_screen_keeps_its_budget_drops_apart_new_first():
    s = _settings(max_items=5, max_drop_items=2)
    shown = [track.Incident(f"E{i}", "excess", True, first=10 - i, last=10, peak=5 + i) for i in range(6)]
    shown += [track.Incident(f"D{i}", "drop", True, first=1, last=10, peak=4 + i) for i in range(4)]
    for inc in shown:
        inc.scores[10] = inc.peak
    rows = screen.show(shown, 10, s)
    on = [r for r in rows if r["on_screen"]]
    assert len(on) == 5 and sum(r["kind"] == "drop" for r in on) == 2
    excess = [r for r in on if r["kind"] != "drop"]
    assert [r["new"] for r in excess] == sorted([r["new"] for r in excess], reverse=True)
    assert excess[0]["incident_id"] in {"E0", "E1", "E2"}          # new (first within 3 days) first


def test_a_relative_rule_does_not_fire_on_a_steady_backlog():
    """街道超期积压 ≥ 30 fired on every street every day; against the street's own history (1.5 ×
    its median of the 8 weeks before) a steady 40 never fires and a jump does."""
    from etl.warning.settings import Rule
    s = _settings()
    days = np.arange(100, 160)
    value = np.full(len(days), 40.0)
    value[-3:] = 75.0
    reference = np.r_[np.full(len(days) - 3, 40.0), [40.0, 40.0, 40.0]]
    history = pd.DataFrame({"area_code": "220204001", "subclass_code": None, "day": days,
                            "value": value, "reference": reference})
    tier_of, row_of = {"ALL": 3}, {"220204001": 0}
    absolute = detect.backlog_rule_records(history, Rule("超期积压", "overdue", "street", "all", 30), tier_of, row_of, s)
    relative = detect.backlog_rule_records(history, Rule("超期积压", "overdue", "street", "all", 30, 1.5), tier_of,
                                           row_of, s)
    assert len(absolute) == len(days)
    assert list(relative["day"]) == list(days[-3:])


def test_settings_refuse_what_does_not_exist(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text('[[rule]]\nname = "x"\nmetric = "nonsense"\nlevel = "street"\nthreshold = 3\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="metric"):
        load(bad)
    bad.write_text('[excess.level_thresholds]\nplanet = 3.0\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="level_thresholds"):
        load(bad)
    bad.write_text('[[period]]\nname = "供暖期"\nstart = "25 Oct"\nend = "04-05"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="月-日"):
        load(bad)
    s = load(DEFAULT_FILE)
    assert s.periods and s.periods[0].start == (10, 25) and s.max_drop_items < s.max_items


# --- the truth format -----------------------------------------------------------------------------

def test_a_truth_file_this_project_did_not_write(tmp_path):
    path = tmp_path / "truth.csv"
    path.write_text("\ufeffgrid_codes,type,end_date,start_date,incident_id,direction,subclass_code,source\n"
                    "220204001001001|220204001001002,storm,2026-05-03,2026-05-01,X1,,0501;0502 0602,\n"
                    "220204001001003,silence,2026-06-20,2026-06-01,X2,drop,,网格员巡查\n", encoding="utf-8")
    t = truth.read(path)
    assert list(t["incident_id"]) == ["X1", "X2"]
    assert t.loc[0, "grid_codes"] == ("220204001001001", "220204001001002")
    assert t.loc[0, "subclasses"] == ("0501", "0502", "0602") and t.loc[0, "direction"] == "excess"
    assert t.loc[1, "direction"] == "drop" and t.loc[1, "source"] == "网格员巡查"
    path.write_text("incident_id,type,start_date,end_date\nX,spike,2026-01-01,2026-01-02\n", encoding="utf-8")
    with pytest.raises(truth.TruthError, match="grid_codes"):
        truth.read(path)
    path.write_text("incident_id,type,start_date,end_date,grid_codes,direction\n"
                    "X,spike,2026-01-05,2026-01-02,220204001001001,\n", encoding="utf-8")
    with pytest.raises(truth.TruthError, match="end_date"):
        truth.read(path)
    path.write_text("incident_id,type,start_date,end_date,grid_codes,direction\n"
                    "X,spike,2026-01-01,2026-01-02,220204001001001,sideways\n", encoding="utf-8")
    with pytest.raises(truth.TruthError, match="direction"):
        truth.read(path)


def test_an_alarm_belongs_to_a_truth_incident_only_if_it_explains_half_of_it():
    """One grid with 6 extra reports: its grid alarm is its own; a district alarm whose excess is
    60 (a season misfit) is not, though it holds the grid; a drop alarm never is."""
    e = truth.Effect("K", "excess", 10, 12, np.array([0]), ("0101",), False, 0,
                     {"0101": np.r_[np.zeros(10), [2, 2, 2], np.zeros(5)][None]},
                     {"0101": np.full((1, 18), 0.05)}, {"0101": np.full((1, 18), 0.05)})
    mask = np.ones(3, bool)
    own = e.contribution(["0101"], mask, 10, 12)
    assert own == pytest.approx(6 - 0.15)
    assert own >= truth.EXPLAINED * (6 - 0.3)
    assert own < truth.EXPLAINED * 60
    assert e.contribution(["0102"], mask, 10, 12) == 0 and e.contribution(["0101"], mask, 20, 25) == 0


def test_incident_ids_did_not_change_when_the_city_took_its_one_code():
    """Labels attach to incident ids: the city's incidents (once of area "220200", now of "2202",
    warehouse/areas.py) keep the ids an earlier release gave them, others too (values from it)."""
    from warehouse.areas import CITY_CODE
    day = np.datetime64("2026-03-04")
    assert track.incident_id("excess", day, CITY_CODE, "ALL") == "YJ260304-6da854"
    assert track.incident_id("excess", day, "220204001", "ALL") == "YJ260304-0ffa4c"


def test_a_reason_gives_no_ratio_against_an_expectation_it_prints_as_zero():
    from etl.warning.build import _ratio
    assert _ratio(13, 0.0009) == _ratio(2, 0) == "预期近零"          # was 14444.4 倍 on the screen
    assert _ratio(2, 0.05) == "40.0 倍" and _ratio(6, 2.0) == "3.0 倍"
