"""Detection on hand-made arrays: resets after a spike, drops, storms, rules against the area's own
history."""
from __future__ import annotations

import numpy as np
import pandas as pd

from etl.warning import detect, panel
from tests.etl.warning.helpers import shipped_settings


def _arrays(y, mu, phi=0.01):
    y, mu = np.atleast_2d(np.asarray(y, float)), np.atleast_2d(np.asarray(mu, float))
    return panel.Arrays(y, mu, mu + phi * mu ** 2)


def test_a_spike_alarms_once_and_its_reports_never_alarm_again():
    """A grid expecting 0.1 a day gets 4, 4, 4, then its usual: without the reset its 14- and
    28-day windows would keep alarming on every later report for four weeks."""
    s = shipped_settings()
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
    s = shipped_settings()
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
    s = shipped_settings()
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


def test_a_relative_rule_does_not_fire_on_a_steady_backlog():
    """街道超期积压 ≥ 30 fired on every street every day; against the street's own history (1.5 ×
    its median of the 8 weeks before) a steady 40 never fires and a jump does."""
    from etl.warning.settings import Rule
    s = shipped_settings()
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
