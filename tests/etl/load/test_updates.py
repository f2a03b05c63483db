"""Event updates: the generator's split is exact, a full refresh and day-by-day incremental
refreshes give the same events as the unsplit export, history keeps every replaced state, the
same files twice change nothing, and an old state sent again never moves an event back."""
import datetime as dt
import functools
import json
import os
import shutil
import signal
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from demo.updates import split_updates
from etl import runlog, storage
from etl.refresh import refresh
from etl.transform import models
from etl.warning import settings
from tests.conftest import ROOT, served_db
from tests.etl.warning.helpers import assert_warnings_equal, drop_kept
from warehouse import generations

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
        return con.execute("SELECT * FROM core.events ORDER BY event_id").df()


def _marts_differing_from_their_models(db) -> dict[str, int]:
    """Rows of each mart not in its model computed afresh on the same events, and the reverse."""
    out = {}
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{db}' AS wh (READ_ONLY)")
        for path in sorted((models.SQL_DIR / "marts").glob("*.sql")):
            sql = path.read_text(encoding="utf-8")
            n = sum(con.execute(f"SELECT count(*) FROM ((SELECT * FROM ({a})) EXCEPT ALL (SELECT * FROM ({b})))").fetchone()[0]
                    for a, b in ((f"SELECT * FROM wh.mart.{path.stem}", sql), (sql, f"SELECT * FROM wh.mart.{path.stem}")))
            out[path.stem] = n
    return out


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


def _warnings_kept_and_afresh(db, tmp_path) -> tuple[dict, dict]:
    """The warning step on a generation with the detections it keeps, and with none."""
    from etl.warning import build
    small = tmp_path / "warnings.duckdb"           # its views read the generation's partitions
    shutil.copy(db, small)
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{small}' AS wh")
        kept = build.compute(con, settings.load(settings.DEFAULT_FILE))
        drop_kept(con)
        return kept, build.compute(con, settings.load(settings.DEFAULT_FILE))


def test_full_and_incremental_refreshes_agree_with_the_unsplit_export(split, tiny_db, key_file, tmp_path, caplog):
    src, updates = split
    caplog.set_level("INFO", logger="etl.warning")
    expected = _events(tiny_db)
    # a full refresh reads the base export and every update
    refresh(src, tmp_path / "full", key_file)
    pd.testing.assert_frame_equal(_events(served_db(tmp_path / "full")), expected)

    # day by day: the base alone, then one update per incremental run (with early warning on)
    daily = tmp_path / "daily"
    shutil.copytree(src, daily, ignore=shutil.ignore_patterns("events-*.csv"))
    warned = functools.partial(refresh, warning_settings=settings.DEFAULT_FILE)
    report = warned(daily, tmp_path / "wh", key_file, incremental=True)   # nothing served yet: full
    assert report.status == "published"
    base_rows = len(_events(served_db(tmp_path / "wh")))
    for k, path in enumerate(updates):
        shutil.copy(path, daily / "updates" / path.name)
        report = warned(daily, tmp_path / "wh", key_file, incremental=True)
        assert report.status == "published" and [f["file"] for f in report.files] == [f"updates/{path.name}"]
        # the data first, then its warnings, as the next generation
        run = runlog.runs(tmp_path / "wh")[0]
        assert json.loads(run["detail"])["data_generation"] < report.generation == run["generation"]
        again = warned(daily, tmp_path / "wh", key_file, incremental=True)
        assert (again.status, again.generation) == ("unchanged", report.generation)
    db = served_db(tmp_path / "wh")
    pd.testing.assert_frame_equal(_events(db), expected)
    # the marts brought up to date row by row are the marts built afresh
    differing = _marts_differing_from_their_models(db)
    assert set(differing) == {p.stem for p in (models.SQL_DIR / "marts").glob("*.sql")}
    assert differing == dict.fromkeys(differing, 0)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT w.data_run = m.run_id AND w.as_of = m.as_of "
                           "FROM warning.meta w, ops.meta m").fetchone()[0]
    # each day's warnings tested only the days since the run before, and reviewed again only the
    # incidents whose days did; what they keep is what the step computes afresh, to the last bit
    kept_days = [int(m.split(" 天沿用")[0].split()[-1]) for m in caplog.messages if "天沿用" in m]
    assert len(kept_days) == DAYS + 1 and kept_days[0] == 0 and min(kept_days[1:]) > 0
    kept_reviews = [int(m.split(" 起沿用")[0].split()[-1]) for m in caplog.messages if "起沿用" in m]
    assert len(kept_reviews) == DAYS + 1 and kept_reviews[0] == 0 and min(kept_reviews[1:]) > 0
    kept, afresh = _warnings_kept_and_afresh(db, tmp_path)
    assert_warnings_equal(kept, afresh)
    with duckdb.connect(str(db), read_only=True) as con:
        applied = con.execute("SELECT rows_new, rows_changed, rows_stale FROM ops.applied_updates").fetchall()
        assert len(applied) == DAYS and sum(r[0] for r in applied) == len(expected) - base_rows
        superseded = con.execute("SELECT count(*) FROM core.event_history WHERE change = 'superseded'").fetchall()[0][0]
        assert superseded == sum(r[1] for r in applied) > 0
        # a superseded state is an earlier state of the same event
        assert con.execute("""SELECT count(*) FROM core.event_history h JOIN core.events e USING (event_id)
                              WHERE coalesce(h.closed_at, h.verified_at, h.handled_at, h.dispatched_at,
                                             h.accepted_at, h.reported_at)
                                  > coalesce(e.closed_at, e.verified_at, e.handled_at, e.dispatched_at,
                                             e.accepted_at, e.reported_at)""").fetchall()[0][0] == 0

    # the first day's export sent again under a later name: identical bytes are skipped by hash;
    # the same rows with other line endings are merged, and their older states lose
    shutil.copy(updates[0], daily / "updates" / "events-20261101.csv")
    report = warned(daily, tmp_path / "wh", key_file, incremental=True)
    assert report.status == "unchanged"
    text = (daily / "updates" / "events-20261101.csv").read_text(encoding="utf-8")
    (daily / "updates" / "events-20261101.csv").write_text(text.replace("\n", "\r\n"), encoding="utf-8")
    report = warned(daily, tmp_path / "wh", key_file, incremental=True)
    assert report.status == "published"
    pd.testing.assert_frame_equal(_events(served_db(tmp_path / "wh")), expected)
    with duckdb.connect(str(served_db(tmp_path / "wh")), read_only=True) as con:
        stale = con.execute("SELECT rows_stale FROM ops.applied_updates WHERE file LIKE '%20261101%'").fetchall()[0][0]
    assert stale > 0


def test_a_run_killed_before_its_warnings_is_finished_by_the_next(split, key_file, tmp_path):
    """SIGKILL once the merged data is served and its warnings are being computed: the data stays
    served with the warnings of the data before, and the next run, with no new file, computes
    and publishes the warnings."""
    src, updates = split
    daily, wh = tmp_path / "daily", tmp_path / "wh"
    shutil.copytree(src, daily, ignore=shutil.ignore_patterns("events-*.csv"))
    warned = functools.partial(refresh, warning_settings=settings.DEFAULT_FILE)
    base = warned(daily, wh, key_file)
    shutil.copy(updates[0], daily / "updates" / updates[0].name)
    proc = subprocess.Popen([sys.executable, "-m", "etl", "refresh", "--incremental", "--source", str(daily),
                             "--warehouse", str(wh), "--key-file", str(key_file),
                             "--warning-settings", str(settings.DEFAULT_FILE)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "预警基线" in line:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    served = generations.current(wh)
    assert served.id != base.generation
    with duckdb.connect(str(served.path), read_only=True) as con:
        assert con.execute("SELECT run_id FROM ops.meta").fetchone()[0] == served.id       # the new data
        assert con.execute("SELECT data_run FROM warning.meta").fetchone()[0] == base.run_id
    report = warned(daily, wh, key_file, incremental=True)
    assert report.status == "published" and report.files == [] and report.generation > served.id
    with duckdb.connect(str(generations.current(wh).path), read_only=True) as con:
        assert con.execute("SELECT w.data_run FROM warning.meta w").fetchone()[0] == served.id
    assert [r["status"] for r in runlog.runs(wh)[:2]] == ["published", "interrupted"]


@pytest.mark.parametrize("days", [40, -40])
def test_monthly_kpis_follow_an_as_of_across_months(tiny_db, tmp_path, days):
    """No event merged, the as-of moved 40 days on (or back, as when the last closed event is
    reopened): cases fell due (or stopped being due) in the months between, which the scope
    computes again."""
    db = tmp_path / "wh.duckdb"
    storage.single_file(tiny_db, db)
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{db}' AS wh")
        con.execute("UPDATE wh.ops.meta SET as_of = as_of - to_days(?::INTEGER)", [max(days, 0)])
        models.run_file(con, "marts", "area_kpis_monthly")
        con.execute("CREATE TABLE memory.previous_meta AS SELECT * FROM wh.ops.meta")
        con.execute("UPDATE wh.ops.meta SET as_of = as_of + to_days(?::INTEGER)", [days])
        con.execute("CREATE TABLE memory.touched_versions AS SELECT * FROM wh.core.events WHERE false")
        assert models.update_marts(con)["area_kpis_monthly"] > 0
    assert _marts_differing_from_their_models(db)["area_kpis_monthly"] == 0


@pytest.mark.parametrize("areas_changed", [False, True])
def test_a_mart_reading_the_areas_in_force_is_rebuilt_only_when_they_changed(tiny_db, tmp_path, areas_changed):
    """`mart.area_population` reads the register and the areas in force, none of which an event
    update changes unless an area started or ended between the two as-of instants; the marts
    reading the events or the as-of are rebuilt or updated whatever happened."""
    db = tmp_path / "wh.duckdb"
    storage.single_file(tiny_db, db)
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{db}' AS wh")
        con.execute("CREATE TABLE memory.previous_meta AS SELECT * FROM wh.ops.meta")
        con.execute("UPDATE wh.ops.meta SET as_of = as_of + INTERVAL 2 HOUR")
        con.execute("CREATE TABLE memory.touched_versions AS SELECT * FROM wh.core.events WHERE false")
        done = models.update_marts(con, areas_changed)
    assert ("area_population" in done) == areas_changed and done["services_monthly"] == -1
    differing = _marts_differing_from_their_models(db)
    assert differing == dict.fromkeys(differing, 0)


def test_an_update_moving_the_as_of_past_a_grids_end_gives_what_a_full_build_gives(split, key_file, tmp_path):
    """Households, addresses and organisations are checked at the data's as-of instant; an update
    that moves the as-of past the end of their grid's version must leave the same register as a
    full build of the same files (which quarantines them: no version in force then)."""
    src, updates = split
    changed = tmp_path / "src"
    shutil.copytree(src, changed)
    grids = json.loads((changed / "grids.geojson").read_text(encoding="utf-8"))
    households = _csv(changed / "households.csv")
    ended = next(f for f in grids["features"] if f["properties"]["valid_to"] is None
                 and (households["网格编码"] == f["properties"]["code"]).any())
    ended["properties"]["valid_to"] = "2026-10-31"      # after the base export's as-of, before the last update's
    (changed / "grids.geojson").write_text(json.dumps(grids, ensure_ascii=False), encoding="utf-8")

    def register(warehouse):
        with duckdb.connect(str(served_db(warehouse)), read_only=True) as con:
            return {t: con.execute(f"SELECT count(*) FROM core.{t}").fetchone()[0]
                    for t in ("households", "addresses", "persons")} | \
                   {"as_of": con.execute("SELECT as_of FROM ops.meta").fetchone()[0]}

    assert refresh(changed, tmp_path / "full", key_file).status == "published"
    daily = tmp_path / "daily"
    shutil.copytree(changed, daily, ignore=shutil.ignore_patterns("events-*.csv"))
    assert refresh(daily, tmp_path / "wh", key_file, incremental=True).status == "published"
    assert register(tmp_path / "wh")["as_of"].date() < dt.date(2026, 10, 31)
    for path in updates:
        shutil.copy(path, daily / "updates" / path.name)
        assert refresh(daily, tmp_path / "wh", key_file, incremental=True).status == "published"
    assert register(tmp_path / "wh") == register(tmp_path / "full")
