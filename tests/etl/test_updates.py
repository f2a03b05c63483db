"""Event updates: the generator's split is exact, a full refresh and day-by-day incremental
refreshes give the same events as the unsplit export, history keeps every replaced state, the
same files twice change nothing, and an old state sent again never moves an event back."""
import shutil

import duckdb
import pandas as pd
import pytest

from etl import generations
from etl.generate.updates import split_updates
from etl.refresh import refresh
from tests.conftest import served_db

DAYS = 2        # two days of updates: a merge, and a merge onto a merge


@pytest.fixture(scope="module")
def split(tiny_source, tmp_path_factory):
    src = tmp_path_factory.mktemp("split")
    shutil.copytree(tiny_source, src, dirs_exist_ok=True)
    return src, split_updates(src, DAYS)


def _csv(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _events(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT * FROM events ORDER BY event_id").df()


def test_base_plus_updates_is_the_original(split, tiny_source):
    src, updates = split
    assert [p.name for p in updates] == ["events-20261030.csv", "events-20261031.csv"]
    events = _csv(src / "events.csv")
    for path in updates:
        update = _csv(path)
        assert len(update) > 0 and update["事件编号"].is_unique
        events = pd.concat([events[~events["事件编号"].isin(update["事件编号"])], update])
    original = _csv(tiny_source / "events.csv")
    assert len(_csv(src / "events.csv")) < len(original)
    pd.testing.assert_frame_equal(events.sort_values("事件编号").reset_index(drop=True),
                                  original.sort_values("事件编号").reset_index(drop=True))


def test_full_and_incremental_refreshes_agree_with_the_unsplit_export(split, tiny_db, key_file, tmp_path):
    src, updates = split
    expected = _events(tiny_db)
    # a full refresh reads the base export and every update
    refresh(src, tmp_path / "full", key_file)
    pd.testing.assert_frame_equal(_events(served_db(tmp_path / "full")), expected)

    # day by day: the base alone, then one update per incremental run
    daily = tmp_path / "daily"
    shutil.copytree(src, daily, ignore=shutil.ignore_patterns("events-*.csv"))
    report = refresh(daily, tmp_path / "wh", key_file, incremental=True)   # nothing served yet: full
    assert report.status == "published"
    base_rows = len(_events(served_db(tmp_path / "wh")))
    for k, path in enumerate(updates):
        shutil.copy(path, daily / "updates" / path.name)
        report = refresh(daily, tmp_path / "wh", key_file, incremental=True)
        assert report.status == "published" and [f["file"] for f in report.files] == [f"updates/{path.name}"]
        again = refresh(daily, tmp_path / "wh", key_file, incremental=True)
        assert (again.status, again.generation) == ("unchanged", report.generation)
    db = served_db(tmp_path / "wh")
    pd.testing.assert_frame_equal(_events(db), expected)
    with duckdb.connect(str(db), read_only=True) as con:
        applied = con.execute("SELECT rows_new, rows_changed, rows_stale FROM applied_updates").fetchall()
        assert len(applied) == DAYS and sum(r[0] for r in applied) == len(expected) - base_rows
        superseded = con.execute("SELECT count(*) FROM event_history WHERE change = 'superseded'").fetchall()[0][0]
        assert superseded == sum(r[1] for r in applied) > 0
        # a superseded state is an earlier state of the same event
        assert con.execute("""SELECT count(*) FROM event_history h JOIN events e USING (event_id)
                              WHERE coalesce(h.closed_at, h.verified_at, h.handled_at, h.dispatched_at,
                                             h.accepted_at, h.reported_at)
                                  > coalesce(e.closed_at, e.verified_at, e.handled_at, e.dispatched_at,
                                             e.accepted_at, e.reported_at)""").fetchall()[0][0] == 0

    # the first day's export sent again under a later name: identical bytes are skipped by hash;
    # the same rows with other line endings are merged, and their older states lose
    shutil.copy(updates[0], daily / "updates" / "events-20261101.csv")
    report = refresh(daily, tmp_path / "wh", key_file, incremental=True)
    assert report.status == "unchanged"
    text = (daily / "updates" / "events-20261101.csv").read_text(encoding="utf-8")
    (daily / "updates" / "events-20261101.csv").write_text(text.replace("\n", "\r\n"), encoding="utf-8")
    report = refresh(daily, tmp_path / "wh", key_file, incremental=True)
    assert report.status == "published"
    pd.testing.assert_frame_equal(_events(served_db(tmp_path / "wh")), expected)
    with duckdb.connect(str(served_db(tmp_path / "wh")), read_only=True) as con:
        stale = con.execute("SELECT rows_stale FROM applied_updates WHERE file LIKE '%20261101%'").fetchall()[0][0]
    assert stale > 0
