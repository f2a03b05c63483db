"""Tracking alarms into incidents, day by day, on a hand-made panel: one row per incident on the
screen, what joins an incident and what starts a new one, ids that do not move."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import example, given, settings, strategies as st

from etl.warning import screen, track
from tests.etl.warning.helpers import shipped_settings


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
    s = s or shipped_settings()
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


def test_incident_ids_did_not_change_when_the_city_took_its_one_code():
    """Labels attach to incident ids: the city's incidents (once of area "220200", now of "2202",
    warehouse/areas.py) keep the ids an earlier release gave them, others too (values from it)."""
    from warehouse.areas import CITY_CODE
    day = np.datetime64("2026-03-04")
    assert track.incident_id("excess", day, CITY_CODE, "ALL") == "YJ260304-6da854"
    assert track.incident_id("excess", day, "220204001", "ALL") == "YJ260304-0ffa4c"


class _ScanTracker(track.Tracker):
    """The tracker as it was: every open incident looked at for every alarm (the oracle)."""

    def _around(self, t, halo):
        return [inc for inc in self.open.values() if inc.fine and self._where(inc, t) & halo]


def _line(n: int):
    """n grids in a row, each next to the ones beside it, their community and the district."""
    p = _p()
    rows = type("Rows", (), {"levels": np.array(["grid"] * n + ["community", "district"], dtype=object),
                             "codes": np.array([f"220204001001{g:03d}" for g in range(n)] + ["220204001001", "220204"],
                                               dtype=object),
                             "n_areas": n + 2, "skip": np.zeros(n + 2, bool),
                             "footprint": lambda self, row: np.arange(n) if row >= n else np.array([row])})()
    rows.names = rows.codes
    p.rows, p.areas = rows, type("Areas", (), {"n_grids": n})
    p.near = [np.array([x for x in (g - 1, g, g + 1) if 0 <= x < n]) for g in range(n)]
    return p


_alarms = st.lists(st.tuples(st.integers(0, 20), st.integers(0, 9), st.sampled_from([0, 1, 2, 3, 6]),
                             st.floats(4, 12), st.sampled_from(["excess", "drop"])), max_size=80)


@settings(max_examples=80, deadline=None)
@given(_alarms)
# two incidents merged by an alarm between them; a weaker alarm the same day next to the one absorbed
@example([(0, 3, 0, 7.0, "excess"), (0, 5, 0, 7.0, "excess"), (1, 4, 0, 9.0, "excess"), (1, 2, 0, 5.0, "excess")])
def test_the_incidents_around_an_alarm_are_those_a_scan_of_every_open_incident_finds(raw):
    """The grid index (merges, new incidents, days passing) changes no alarm's incident."""
    alarms = [_alarm(d, row, tier, score=sc, kind=kind) for d, row, tier, sc, kind in raw]
    if not alarms:
        return
    frame = pd.DataFrame(alarms).sort_values(["day", "kind", "tier", "row"], kind="stable").reset_index(drop=True)
    found = []
    for cls in (track.Tracker, _ScanTracker):
        tracker, ids = cls(_line(8), shipped_settings()), []
        for t in range(frame["day"].max() + 1):
            today = frame[frame["day"] == t]
            if len(today):
                ids += tracker.day(t, today)
        found.append([tracker.find(i) for i in ids])
    assert found[0] == found[1]
