"""Early warning: the detectors against reference implementations, the warning tables of the tiny
warehouse against SQL on it, and the evaluation command on the generator's truth file."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from etl.warning import detectors, evaluate, incidents, scan, simulate
from etl.warning.settings import SettingsError, load
from tests.conftest import served_db


def _nb(mu, phi):
    n = 1 / phi
    return stats.nbinom(n, n / (n + mu))


def test_negative_binomial_tail_and_bound_match_scipy():
    mu = np.array([0.02, 0.3, 1.0, 7.3, 50.0, 400.0])
    phi = np.array([0.01, 0.5, 0.2, 0.05, 1.0, 0.02])
    y = np.array([1, 2, 5, 20, 300, 500])
    np.testing.assert_allclose(detectors.nb_tail(y, mu, phi), _nb(mu, phi).sf(y - 1), rtol=1e-8)
    for alpha in (0.01, 0.001):
        np.testing.assert_array_equal(detectors.nb_upper(mu, phi, alpha), _nb(mu, phi).ppf(1 - alpha))
    assert detectors.nb_tail(np.array([0]), np.array([1.0]), np.array([0.1]))[0] == 1.0


def test_pit_residual_is_the_mid_p_quantile():
    mu, phi, y = np.array([0.4, 3.0]), np.array([0.3, 0.1]), np.array([0, 4])
    d = _nb(mu, phi)
    mid = np.where(y > 0, d.cdf(y - 1), 0) + 0.5 * d.pmf(y)
    np.testing.assert_allclose(detectors.pit_residual(y, mu, phi), stats.norm.ppf(mid), rtol=1e-8)


def test_cusum_accumulates_and_is_capped():
    z = np.array([[0.0, 2.0, 2.0, -5.0, 30.0]])
    np.testing.assert_allclose(detectors.cusum(z, k=0.5, cap=10), [[0, 1.5, 3.0, 0, 10]])


def test_ears_c1_c2_c3_by_hand():
    y = np.array([1, 1, 2, 1, 1, 2, 1, 1, 1, 1, 9, 9, 9], float)
    out = detectors.ears(y[None])
    base = y[3:10]                       # C1 on day 10: the 7 days before it
    assert out["c1"][0, 10] == pytest.approx((9 - base.mean()) / base.std(ddof=1))
    base2 = y[1:8]                       # C2 on day 10: 7 days ending 3 days before
    c2 = (9 - base2.mean()) / base2.std(ddof=1)
    assert out["c2"][0, 10] == pytest.approx(c2)
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
    # the same alerts of a surge spread thin: no grid holds half the district's excess (22)
    spread = incidents.main_area(area, level, np.array([2.0, 1.0, 12.0, 10.0, 12.0]),
                                 np.array([4.0, 5.0, 3.0, 2.0, 2.5]))
    assert spread == 20                  # the street holds 12 of it
    assert incidents.main_area(area, level, np.array([2.0, 1.0, 9.0, 10.0, 12.0]),
                               np.ones(5)) == 30
    # rule alerts on the backlog hold no excess (observed under expected): the finest level, and
    # there the strongest alert (this failed on an empty choice once)
    assert incidents.main_area(area, level, np.array([-2.0, -1.0, -0.5, -3.0, -1.0]),
                               np.array([4.0, 5.0, 3.0, 2.0, 2.5])) == 11


def test_recurrence_counts_later_alerts_where_it_was_or_next_door():
    """Three grids (0, 1 at 1 km, 2 at 5 km; link 1.5 km) and a street (3). The incident was in
    grid 0 and the street, its last day 100."""
    from types import SimpleNamespace
    areas = SimpleNamespace(n_grids=3, xy=np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0]]))
    area = np.array([0, 1, 2, 3, 0, 1, 0])
    day = np.array([110, 120, 110, 160, 100, 95, 191])
    # grid 0 at +10 and the street at +60 (same areas), grid 1 at +20 (next door); grid 2 is far,
    # day 100 is not after, day 95 before, +91 beyond 90 days
    assert incidents.recurrences(areas, area, day, np.array([0, 3]), 100, 1.5) == (2, 3)
    assert incidents.recurrences(areas, area, day, np.array([3]), 100, 1.5) == (0, 1)   # no grid: no neighbours


class _Fixed:
    """A baseline with given μ and φ (areas × days), whatever the days asked for."""
    def __init__(self, mu, phi):
        self._mu, self._phi = mu, phi

    def mu(self, days):
        return self._mu[:, :len(days)]

    def dispersion(self, days):
        return self._phi[:, :len(days)]


def test_a_summed_baseline_adds_means_and_variances():
    a = _Fixed(np.array([[1.0, 2.0], [0.0, 0.5]]), np.full((2, 2), 0.5))
    b = _Fixed(np.array([[3.0, np.nan], [0.0, 0.5]]), np.full((2, 2), 0.1))
    total = scan.Summed([a, b])
    days = np.arange(2)
    mu, phi = total.mu(days), total.dispersion(days)
    assert mu.tolist() == [[4.0, 2.0], [0.0, 1.0]]                      # no expectation counts 0
    var = (1 + 0.5 * 1) + (3 + 0.1 * 9)
    assert mu[0, 0] + phi[0, 0] * mu[0, 0] ** 2 == pytest.approx(var)
    assert phi[1, 0] > 0                                                # nothing expected: any φ, finite


def test_the_scan_finds_a_planted_cluster_on_its_first_day_and_nothing_in_noise():
    from etl.warning.settings import Settings
    rng = np.random.default_rng(3)
    xy = np.column_stack([np.arange(60) % 10, np.arange(60) // 10]).astype(float)
    nbr = scan.neighbours(xy, 7)
    mu = np.full((60, 10), 0.3)
    phi = np.full((60, 10), 1e-3)
    y = rng.poisson(mu).astype(float)
    s = Settings(scan_replicates=99)
    planted = set(nbr[22, :5].tolist())
    assert scan.first_detection(y, mu, phi, 7, planted, nbr, s, rng) is None
    y[list(planted), 7] += 4                                           # 20 reports where 1.5 were expected
    assert scan.first_detection(y, mu, phi, 7, planted, nbr, s, rng) == 0


def test_settings_refuse_an_unknown_rule_metric(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text('[[rule]]\nname = "x"\nmetric = "weather"\nlevel = "grid"\nthreshold = 1\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="metric"):
        load(bad)
    assert load().nb_alpha > 0


@pytest.fixture(scope="module")
def wh(tiny_warehouse):
    import duckdb
    con = duckdb.connect(str(served_db(tiny_warehouse)), read_only=True)
    yield con
    con.close()


def test_alerts_report_the_counts_in_the_warehouse(wh):
    alerts = wh.execute("""SELECT * FROM warning_alerts WHERE subclass_code IS NOT NULL
                           ORDER BY score DESC LIMIT 20""").df()
    assert len(alerts)
    for a in alerts.itertuples():
        n = wh.execute("""SELECT coalesce(sum(reported), 0) FROM mart_events_daily
                          WHERE subclass_code = ? AND day = ?
                            AND (? = '220200' OR starts_with(grid_code, ?))""",
                       [a.subclass_code, a.day, a.area_code, a.area_code]).fetchone()[0]
        assert n == a.observed, a
        assert a.reason and a.since <= a.day
    per_day = wh.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM warning_alerts GROUP BY day)").fetchone()[0]
    assert per_day <= load().max_alerts_per_day
    budget = wh.execute("SELECT sum(shown), count(*) FILTER (alarms > shown) FROM warning_budget").fetchone()
    assert budget[0] == wh.execute("SELECT count(*) FROM warning_alerts").fetchone()[0]


def test_an_area_with_the_same_grids_as_a_finer_one_is_not_alarmed_twice(wh):
    """The tiny city is one district: its series is the district's, and only the district alarms."""
    assert wh.execute("SELECT count(*) FROM areas WHERE level = 'district'").fetchone()[0] == 1
    levels = dict(wh.execute("SELECT level, count(*) FROM warning_alerts GROUP BY level").fetchall())
    assert levels.get("district", 0) > 0 and "city" not in levels


def test_model_alerts_on_a_repeated_area_are_dropped_and_rules_stay():
    from etl.warning import alerts
    found = pd.DataFrame({"area": [0, 2, 2, 3], "rule": [None, None, "社区单日同类事件过多", None]})
    kept = alerts.drop_repeats(found, np.array([False, False, True, False]))
    assert kept["area"].tolist() == [0, 2, 3] and kept["rule"].tolist()[1] == "社区单日同类事件过多"


def test_repeats_are_the_coarser_rows_with_the_same_grids():
    from scipy import sparse
    from etl.warning.series import _repeats
    # rows: grid 0, grid 1, community {0}, community {0, 1}, street {0, 1}, city {0, 1}
    members = sparse.csr_matrix(np.array([[1, 0], [0, 1], [1, 0], [1, 1], [1, 1], [1, 1]], np.float32))
    assert list(_repeats(members)) == [False, False, True, False, True, True]


def test_scan_tiers_are_subclasses_classes_and_all(tiny_warehouse):
    import duckdb
    from etl.warning.prepare import prepare
    con = duckdb.connect()
    con.execute(f"ATTACH '{served_db(tiny_warehouse)}' AS wh (READ_ONLY)")
    p = prepare(con)
    con.close()
    tiers = {code: (cells, model) for code, cells, model in scan.tiers(p)}
    classes = p.categories["class_code"].reindex(list(p.cells))
    several = {c for c in classes if (classes == c).sum() > 1}
    assert set(tiers) == set(p.cells) | several | {scan.ALL}
    G, T = p.areas.n_grids, p.n_days
    everything = sum(c.dense(G, 0, T) for c in p.cells.values())
    assert np.array_equal(tiers[scan.ALL][0].dense(G, 0, T), everything)
    one = sorted(several)[0]
    days = np.arange(T - 7, T)
    parts = [np.nan_to_num(p.models[c].mu(days)) for c in classes.index[classes == one]]
    assert np.allclose(tiers[one][1].mu(days), sum(parts))


def test_incidents_count_their_reports(wh):
    inc = wh.execute("SELECT * FROM warning_incidents ORDER BY peak_score DESC LIMIT 5").df()
    assert len(inc)
    for i in inc.itertuples():
        linked = wh.execute("SELECT count(*) FROM warning_incident_events WHERE incident_id = ?",
                            [i.incident_id]).fetchone()[0]
        assert linked == i.events
        days = wh.execute("SELECT sum(reported), count(*) FROM warning_incident_days WHERE incident_id = ?",
                          [i.incident_id]).fetchone()
        assert days[1] > 0
        assert i.excess_low <= i.excess <= i.excess_high
        assert i.first_day <= i.last_day


def test_expectations_add_up_to_what_was_reported(wh):
    """The baseline is calibrated: over an incident's whole timeline window, outside the
    incident days, reports and expectations agree on the whole."""
    frame = wh.execute("""SELECT sum(t.reported) AS y, sum(t.expected) AS mu
                          FROM warning_incident_days t JOIN warning_incidents i USING (incident_id)
                          WHERE t.day < i.first_day AND t.expected IS NOT NULL""").df()
    assert 0.5 < frame["y"][0] / frame["mu"][0] < 2.0


def test_evaluation_holds_methods_to_one_false_alarm_rate(tiny_source, tiny_warehouse, tmp_path):
    table, simulated = evaluate.evaluate(tiny_warehouse, tiny_source / "incidents_truth.csv", far=0.01,
                                         trials=40, cluster_trials=3, cluster_bands=((0.02, np.inf),))
    overall = table[table["outbreak_size"] == "全部"].set_index("method")
    for m in evaluate.METHODS:    # EARS's discrete scores too: their ties are broken at random
        assert overall.loc[m, "false_alarm_rate"] == pytest.approx(0.01, abs=0.0005)
    assert overall.loc["nb", "pod"] >= 0.8 and overall.loc["cusum", "pod"] >= 0.8
    assert overall.loc["cusum", "pod"] >= overall.loc["c2", "pod"]
    # synthetic outbreaks: bigger ones are found at least as often, by every method
    sim = simulated.set_index(["method", "outbreak_size"])
    for m in ("nb", "cusum"):
        assert sim.loc[(m, "8 SD"), "pod"] >= sim.loc[(m, "2 SD"), "pod"]
        assert sim.loc[(m, "8 SD"), "pod"] >= 0.8
    assert ("scan", simulate.band_label(0.02, np.inf)) in sim.index and ("pelt", "阶跃") in sim.index
    assert ("oracle", simulate.band_label(0.02, np.inf)) in sim.index
    assert overall.loc["oracle", "incidents"] == overall.loc["scan", "incidents"] > 0   # the truth file's too
    # a truth file this project did not write: only the documented columns, another order
    truth = pd.read_csv(tiny_source / "incidents_truth.csv", dtype=str)
    own = tmp_path / "truth.csv"
    truth[["subclass_code", "grid_codes", "end_date", "start_date", "type", "size_sd", "incident_id"]].to_csv(own, index=False)
    assert len(evaluate.read_truth(own)) == len(truth)
    truth.drop(columns=["grid_codes"]).to_csv(own, index=False)
    with pytest.raises(evaluate.TruthError, match="grid_codes"):
        evaluate.evaluate(tiny_warehouse, own)


def test_the_evaluation_keeps_the_largest_scores():
    """The false-alarm threshold needs only the highest scores: _largest keeps exactly those."""
    values = np.random.default_rng(3).normal(size=10_000).astype(np.float32)
    for k in (1, 100, 9_999, 10_000, 20_000):
        kept = np.sort(evaluate._largest(values, k))
        assert np.array_equal(kept, np.sort(values)[-min(k, len(values)):])


def test_the_detection_ceiling_knows_where_and_when():
    """scan.oracle_detection tests the planted cluster's count since its first day. Five grids
    expecting 1 report a day between them, 3 a day reported: 3, 6, 9 against 1, 2, 3 expected
    (Poisson tails 0.080, 0.017, 0.0038): found on the third day at p 0.01, the second at 0.05."""
    mu, phi = np.full((5, 3), 0.2), np.full((5, 3), 1e-9)
    y = np.zeros((5, 3), int)
    y[:3] = 1
    assert scan.oracle_detection(y, mu, phi, 0.01) == 2
    assert scan.oracle_detection(y, mu, phi, 0.05) == 1
    assert scan.oracle_detection(np.zeros((5, 3), int), mu, phi, 0.05) is None
