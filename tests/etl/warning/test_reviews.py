"""Incidents' reviews kept from run to run (etl/warning/reviews.py): a run uses a review only when
every day it read lies before the first day whose inputs changed, and with them its warnings are
those computed afresh, to the bit."""
from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from etl.warning import build, reviews
from tests.etl.warning.helpers import assert_warnings_equal, drop_kept, drop_warning_tables, shipped_settings

KEPT = ("detections", "detection_days", "incident_reviews", "incidents", "incident_days")


@pytest.fixture(scope="module")
def fresh(tiny_warehouse, tmp_path_factory):
    """The tiny generation's warnings computed with nothing kept, and a connection to a copy of it."""
    from tests.conftest import served_db
    small = tmp_path_factory.mktemp("reviews") / "warehouse.duckdb"   # its views read the partitions
    shutil.copy(served_db(tiny_warehouse), small)
    con = duckdb.connect()
    con.execute(f"ATTACH '{small}' AS wh")
    drop_kept(con)
    s = shipped_settings()
    yield con, s, build.compute(con, s)
    con.close()


def _keep(con, tables: dict) -> None:
    """`tables` as the warning tables of the generation in `wh`, as a run stores them."""
    drop_warning_tables(con, tables)
    for name, frame in tables.items():
        con.register("f", frame)
        con.execute(f"CREATE TABLE wh.warning.{name} AS SELECT * FROM f")
        con.unregister("f")


def test_warnings_with_kept_reviews_are_those_computed_afresh(fresh, caplog):
    """A run that finds the days up to ten days ago unchanged keeps the reviews of the incidents
    that ended two months before: every table is equal to the bit."""
    con, s, out = fresh
    days = out["detection_days"]
    T, first = len(days), int(np.flatnonzero(days["detected"])[0])
    index = np.arange(T - 10)
    earlier = days.iloc[:T - 10].assign(detected=(index >= first - 10) & (index <= T - 11))
    _keep(con, {"detections": out["detections"][out["detections"]["day"] <= days["day"].iloc[T - 11]],
                "detection_days": earlier,
                **{name: out[name] for name in ("incident_reviews", "incidents", "incident_days")}})
    with caplog.at_level("INFO"):
        again = build.compute(con, s)
    (kept,) = [int(r.getMessage().split()[1]) for r in caplog.records if "沿用 (incidents'" in r.getMessage()]
    ended = (out["incident_reviews"]["from_day"] + pd.to_timedelta(out["incident_reviews"]["days"], "D")
             <= days["day"].iloc[T - 11])
    assert kept == ended.sum() > 0
    assert_warnings_equal(again, out)


def test_a_review_is_kept_when_every_day_it_read_is_before_the_first_changed_day(fresh):
    """At each day a review's span ends, the one before and the one after, as the first changed
    day: the reviews kept are those whose days all lie before it; with other inputs, none."""
    con, _, out = fresh
    _keep(con, {name: out[name] for name in ("incident_reviews", "incidents", "incident_days")})
    days = pd.DatetimeIndex(out["detection_days"]["day"])
    spans = out["incident_reviews"]
    ends = days.get_indexer(pd.DatetimeIndex(spans["from_day"])) + spans["days"].to_numpy()
    starts = sorted({0, len(days)} | {e + d for e in ends for d in (-1, 0, 1)})
    for start in starts:
        got = reviews.load(con, days, spans["inputs"].iloc[0], start)
        assert sorted(got) == sorted(reviews.span(r.subject, r.main, days.get_loc(r.from_day),
                                                  days.get_loc(r.from_day) + r.days, days.get_loc(r.first_day),
                                                  days.get_loc(r.last_day))
                                     for r in spans[ends <= start].itertuples()), start
        for (_, _, lo, hi, _, _), (res, y, mu, upper) in got.items():
            assert len(y) == len(mu) == len(upper) == hi - lo
            assert all(0 < c < hi - lo for c in res["change_points"])
    assert reviews.load(con, days, "other inputs", len(days)) == {}


def test_the_digest_moves_with_the_code_of_the_reviews(monkeypatch, tmp_path):
    before = reviews.digest("inputs")
    assert reviews.digest("other inputs") != before
    changed = tmp_path / "incidents.py"
    changed.write_text(reviews.CODE[0].read_text() + "\n# a change\n")
    monkeypatch.setattr(reviews, "CODE", [changed, *reviews.CODE[1:]])
    assert reviews.digest("inputs") != before
