"""Detection kept from run to run (etl/warning/detections.py): a day's records do not depend on the
days detection starts and ends on; a day's digest changes with that day's inputs and no other's; a
run keeps the days before the first changed one (of those the run before detected, which may have
seen more days) and its warnings are those computed afresh."""
from __future__ import annotations

import dataclasses
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from etl.warning import build, detect, detections, screen, series
from etl.warning.prepare import prepare
from etl.warning.settings import Rule
from tests.etl.warning.helpers import assert_warnings_equal, drop_kept, drop_warning_tables, shipped_settings

KEY = ["kind", "tier", "row", "day", "window", "rule"]
# rules on the reports against a history longer than any window: they read further back than the
# windows do (a grid's median is mostly 0; a district's is not)
RULES = (Rule("网格单日同类事件", "reported", "grid", "*", 1, ratio=1.0, history_days=45),
         Rule("区单日事件", "reported", "district", "all", 1, ratio=1.0, history_days=45))


@pytest.fixture(scope="module")
def tiny(tiny_db):
    con = duckdb.connect()
    con.execute(f"ATTACH '{tiny_db}' AS wh (READ_ONLY)")
    s = shipped_settings(rules=RULES)
    p = prepare(con, s)
    yield con, p, s
    con.close()


@pytest.fixture(scope="module")
def whole(tiny):
    """Detection over the last 120 days."""
    _, p, s = tiny
    first = p.n_days - 120
    return first, detect.detect(p, s, first, p.n_days - 1)


def _sorted(frame: pd.DataFrame, from_day: int) -> pd.DataFrame:
    f = frame[frame["day"] >= from_day].assign(rule=frame["rule"].fillna(""))
    return f.sort_values(KEY, kind="stable").reset_index(drop=True)


def assert_same_records(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal to the last bit: a day's window sums add up the same numbers from any start."""
    assert len(got) == len(expected)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(later=st.integers(1, 110))
@example(later=1)
@example(later=45)                 # the rule's history just reaching back before the start
def test_a_days_records_are_the_same_whichever_day_detection_starts_on(tiny, whole, later):
    _, p, s = tiny
    first, found = whole
    assert all((found.records["rule"] == rule.name).sum() > 0 for rule in RULES) and len(found.storms) > 0
    start = first + later
    again = detect.detect(p, s, start, p.n_days - 1)
    assert_same_records(_sorted(again.records, start), _sorted(found.records, start))
    assert_same_records(_sorted(again.storms, start), _sorted(found.storms, start))


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sooner=st.integers(1, 110))
@example(sooner=1)
def test_a_days_records_are_the_same_whichever_day_detection_ends_on(tiny, whole, sooner):
    _, p, s = tiny
    first, found = whole
    last = p.n_days - 1 - sooner
    again = detect.detect(p, s, first, last)
    assert_same_records(_sorted(again.records, first), _sorted(found.records[found.records["day"] <= last], first))
    assert_same_records(_sorted(again.storms, first), _sorted(found.storms[found.storms["day"] <= last], first))


def test_a_days_digest_changes_with_its_own_inputs_only(tiny):
    _, p, s = tiny
    before = detections.day_digests(p)
    code = sorted(p.cells)[0]
    cells = p.cells[code]
    k = len(cells.n) // 2
    day = int(cells.day[k])
    more = dataclasses.replace(cells, n=cells.n.copy())
    more.n[k] += 1                                             # one more report in one area on one day
    changed = dataclasses.replace(p, cells={**p.cells, code: more})
    after = detections.day_digests(changed)
    assert np.flatnonzero(after != before).tolist() == [day]
    # the same cells in another order: the same digests
    order = np.random.default_rng(1).permutation(len(cells.n))
    shuffled = dataclasses.replace(cells, area=cells.area[order], day=cells.day[order], n=cells.n[order])
    assert (detections.day_digests(dataclasses.replace(p, cells={**p.cells, code: shuffled})) == before).all()
    # a count moved to another area the same day
    moved = dataclasses.replace(cells, area=cells.area.copy())
    moved.area[k] = (moved.area[k] + 1) % p.areas.codes.size
    assert np.flatnonzero(detections.day_digests(dataclasses.replace(p, cells={**p.cells, code: moved}))
                          != before).tolist() == [day]
    # another season's dates (the calendar): the days it moves
    periods = p.cal.periods.copy()
    periods[day] = ~periods[day].astype(bool)
    cal = dataclasses.replace(p.cal, periods=periods)
    assert np.flatnonzero(detections.day_digests(dataclasses.replace(p, cal=cal)) != before).tolist() == [day]
    # anything else detection reads: every day
    assert detections.inputs_digest(p, s) != detections.inputs_digest(p, dataclasses.replace(s, threshold=6.5))
    assert detections.inputs_digest(p, s) == detections.inputs_digest(p, shipped_settings(rules=RULES))


def _kept_days(p, s, first, last, digests=None, more=0) -> pd.DataFrame:
    """The run before's days: it saw up to `last` (and `more` days this run has not) and detected
    from `first` on."""
    days = pd.DatetimeIndex(p.cal.days[:last + 1])
    digests = detections.day_digests(p)[:last + 1] if digests is None else digests
    if more:
        days = days.append(pd.date_range(days[-1] + pd.Timedelta(days=1), periods=more))
        digests = np.r_[digests, np.arange(more, dtype=np.uint64)]
    return pd.DataFrame({"day": days, "digest": digests.view(np.int64),
                         "detected": (np.arange(len(days)) >= first), "inputs": detections.inputs_digest(p, s)})


def test_a_run_keeps_the_days_before_the_first_that_changed_or_the_last_it_saw(tiny):
    _, p, s = tiny
    T = p.n_days
    first = T - 100
    none = (first, first)
    # the run before saw up to yesterday: today and yesterday (perhaps part-done then) are tested
    assert detections.reusable(p, s, _kept_days(p, s, first - 1, T - 2), first) == (first, T - 2)
    # a late report for ten days ago changed that day: tested from there
    digests = detections.day_digests(p)[:T - 1].copy()
    digests[T - 11] ^= np.uint64(1)
    assert detections.reusable(p, s, _kept_days(p, s, first - 1, T - 2, digests), first) == (first, T - 11)
    # a day before the span changed (a corrected export), other settings, another calendar start,
    # nothing kept: all tested
    digests = detections.day_digests(p)[:T - 1].copy()
    digests[5] ^= np.uint64(1)
    assert detections.reusable(p, s, _kept_days(p, s, first - 1, T - 2, digests), first) == none
    other = dataclasses.replace(s, min_excess=2.0)
    assert detections.reusable(p, other, _kept_days(p, s, first - 1, T - 2), first) == none
    shifted = _kept_days(p, s, first - 1, T - 2)
    assert detections.reusable(p, s, shifted.iloc[1:], first) == none
    assert detections.reusable(p, s, None, first) == none
    # the run before began ten days later: those ten are tested, then what it kept
    assert detections.reusable(p, s, _kept_days(p, s, first + 10, T - 2), first) == (first + 10, T - 2)
    # … and a day it did not detect in between: all tested
    gap = _kept_days(p, s, first + 10, T - 2)
    gap.loc[first + 20, "detected"] = False
    assert detections.reusable(p, s, gap, first) == none


def test_a_run_over_fewer_days_keeps_those_the_run_before_saw_alike(tiny):
    """An older export run again over a generation that saw five more days and, its span ending
    later, began detecting five days later: those five are tested, the days both saw alike are
    kept, and the last day this run has (it may be part of a day here) is tested."""
    _, p, s = tiny
    T = p.n_days
    first = T - 100
    assert detections.reusable(p, s, _kept_days(p, s, first + 5, T - 1, more=5), first) == (first + 5, T - 1)
    digests = detections.day_digests(p).copy()
    digests[T - 11] ^= np.uint64(1)                 # a day this run's export has otherwise
    assert detections.reusable(p, s, _kept_days(p, s, first + 5, T - 1, digests, more=5), first) == (first + 5, T - 11)
    # the days both have must be the same dates
    moved = _kept_days(p, s, first + 5, T - 1, more=5)
    moved["day"] = moved["day"] + pd.Timedelta(days=1)
    assert detections.reusable(p, s, moved, first) == (first, first)
    # the run before saw only days before this run's span: nothing to keep
    assert detections.reusable(p, s, _kept_days(p, s, first - 10, first - 5), first) == (first, first)


@pytest.mark.parametrize("cut", [1, 6])
def test_an_older_export_over_a_later_runs_detections_finds_what_detection_afresh_finds(tiny, monkeypatch, cut):
    """The data up to `cut` days before the end (an older export: its baselines fitted and its
    arrays made over fewer days) over the detections of a run over all of it: the days it
    detects before that run's span began, the days kept and its last day equal to the bit, in
    order, what a detection of the older data afresh finds; so do its alarms."""
    con, p, s = tiny

    def span_first(T):                       # build.compute's first day of detection
        return screen.detect_from(max(0, max(0, T - s.recent_days) - build.TRACK_LEAD))
    T = p.n_days
    monkeypatch.setattr(detections, "load", lambda con: (None, None))
    _, later, _ = detections.run(con, p, s, span_first(T), T - 1)
    kept_days = later["detection_days"]
    kept = later["detections"][later["detections"]["day"] >= kept_days.loc[kept_days["detected"], "day"].min()]
    whole = series.day_span
    monkeypatch.setattr(series, "day_span", lambda con, db="wh": (whole(con, db)[0],
                                                                  whole(con, db)[1] - np.timedelta64(cut, "D")))
    older = prepare(con, s)
    n, first = older.n_days, span_first(older.n_days)
    assert n == T - cut
    monkeypatch.setattr(detections, "load", lambda con: (kept.reset_index(drop=True), kept_days))
    got, tables, start = detections.run(con, older, s, first, n - 1)
    fresh = detect.detect(older, s, first, n - 1)
    tested = tables["detection_days"]["tested"].to_numpy()
    assert start == n - 1 and tested[first:first + cut].all() and not tested[first + cut:n - 1].any()
    for mine, theirs in ((got.records, fresh.records), (got.storms, fresh.storms)):
        assert_same_records(_sorted(mine, first), _sorted(theirs, first))
    pd.testing.assert_frame_equal(detect.alarms_of(older, s, got), detect.alarms_of(older, s, fresh), check_exact=True)


@pytest.fixture
def afresh(tiny_warehouse, tmp_path):
    """A copy of the tiny warehouse keeping no detections, and its warnings computed afresh."""
    from tests.conftest import served_db
    small = tmp_path / "warehouse.duckdb"         # its views read the tiny warehouse's partitions
    shutil.copy(served_db(tiny_warehouse), small)
    s = shipped_settings(rules=RULES)
    con = duckdb.connect()
    con.execute(f"ATTACH '{small}' AS wh")
    drop_kept(con)
    yield con, s, build.compute(con, s)
    con.close()


def _again(con, s, kept: pd.DataFrame, kept_days: pd.DataFrame, caplog, **more: pd.DataFrame) -> dict:
    """The warnings computed again over the detections a run before kept (and its `more` tables)."""
    drop_warning_tables(con, more)
    for name, frame in (("detections", kept), ("detection_days", kept_days), *more.items()):
        con.register("f", frame)
        con.execute(f"CREATE TABLE wh.warning.{name} AS SELECT * FROM f")
        con.unregister("f")
    with caplog.at_level("INFO"):
        out = build.compute(con, s)
    assert "天沿用" in caplog.text and " 0 天沿用" not in caplog.text
    return out


def test_warnings_computed_from_kept_detections_are_those_computed_afresh(afresh, caplog):
    """The daily step with the detections of a run that saw the data up to ten days before."""
    con, s, fresh = afresh
    # the run before: the same data, as a run ten days earlier detected it (its span and last days)
    days = fresh["detection_days"]
    T, first = len(days), int(np.flatnonzero(days["detected"])[0])
    index = np.arange(T - 10)
    earlier = days.iloc[:T - 10].assign(detected=(index >= first - 10) & (index <= T - 11))
    kept = fresh["detections"]
    kept = kept[kept["day"] <= days["day"].iloc[T - 11]]
    assert_warnings_equal(_again(con, s, kept, earlier, caplog), fresh)


def test_warnings_computed_over_a_run_that_saw_more_days_are_those_computed_afresh(afresh, caplog):
    """An older export: the run before saw five more days (its records of those are dropped) and
    began detecting five days later (this run detects those five itself); the incidents' reviews
    of the days both saw are kept too."""
    con, s, fresh = afresh
    days = fresh["detection_days"]
    T, first = len(days), int(np.flatnonzero(days["detected"])[0])
    more = pd.date_range(days["day"].iloc[-1] + pd.Timedelta(days=1), periods=5)
    later = pd.concat([days, pd.DataFrame({"day": more, "digest": np.arange(5, dtype=np.int64),
                                           "detected": True, "tested": True, "inputs": days["inputs"].iloc[0]})],
                      ignore_index=True)
    later["detected"] = np.arange(len(later)) >= first + 5
    kept = fresh["detections"]
    kept = kept[kept["day"] >= days["day"].iloc[first + 5]]
    last = kept[kept["day"] == kept["day"].max()]
    unseen = pd.concat([last.assign(day=d) for d in more], ignore_index=True)    # records of days this run has not
    assert len(unseen)
    # with its incidents' reviews: those that read only days both runs saw alike are kept; the
    # others are computed again (their stored courses made wrong here: kept, they would show)
    spans = fresh["incident_reviews"]
    ends = pd.DatetimeIndex(days["day"]).get_indexer(pd.DatetimeIndex(spans["from_day"])) + spans["days"].to_numpy()
    reaching = spans.loc[ends > T - 1, "incident_id"]
    assert len(reaching) > 0
    course = fresh["incident_days"]
    course = course.assign(expected=course["expected"] + course["incident_id"].isin(reaching) * 1.0)
    again = _again(con, s, pd.concat([kept, unseen], ignore_index=True), later, caplog,
                   incident_reviews=fresh["incident_reviews"], incidents=fresh["incidents"], incident_days=course)
    (reviewed,) = [int(r.getMessage().split()[1]) for r in caplog.records if "沿用 (incidents'" in r.getMessage()]
    assert reviewed > 0
    assert_warnings_equal(again, fresh)
    tested = again["detection_days"]["tested"].to_numpy()
    assert tested[first:first + 5].all() and not tested[first + 5:T - 1].any() and tested[T - 1]
