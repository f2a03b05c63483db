"""Generations: unchanged files publish nothing, a collapsed or mostly quarantined build is refused,
rollback serves the previous generation, runs never overlap, and a run killed with SIGKILL at
any point leaves the served generation intact and the next run succeeds."""
import os
import shutil
import signal
import subprocess
import sys

import duckdb
import pytest

from etl import runlog, storage
from etl.__main__ import main
from etl.lock import Locked, refresh_lock
from etl.publish.generations import clear_building, point_to, publish, start
from etl.refresh import refresh
from etl.run import PublishRefused, PublishRules, new_run_id
from etl.transform.models import create_views
from tests.conftest import ROOT
from tests.sources import source_with_fewer_events
from warehouse import generations


@pytest.fixture
def warehouse(tiny_warehouse, tmp_path):
    """A private copy of the tiny warehouse (its data and, served, the same with its warnings)."""
    shutil.copytree(tiny_warehouse, tmp_path / "wh")
    return tmp_path / "wh"


def _events(path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM core.events").fetchall()[0][0]
    finally:
        con.close()


def test_same_files_publish_nothing(warehouse, tiny_source, key_file):
    from etl.warning.settings import DEFAULT_FILE  # the tiny warehouse's warnings stay fresh
    before, on_disk = generations.current(warehouse), generations.published(warehouse)
    report = refresh(tiny_source, warehouse, key_file, warning_settings=DEFAULT_FILE)
    assert (report.status, report.generation) == ("unchanged", before.id)
    assert generations.current(warehouse) == before
    assert generations.published(warehouse) == on_disk
    assert runlog.runs(warehouse)[0]["status"] == "unchanged"


def _publish_copy_with_fewer_events(warehouse, keep_share: float, keep: int) -> str:
    """A new generation without a whole build: the served one, some events deleted, published."""
    built = start(warehouse, new_run_id())
    with duckdb.connect() as con:
        storage.open_served(con, generations.current(warehouse).path, create_views)
        storage.delete(con, "core.events", "hash(event_id) % 100 >= ?", [int(keep_share * 100)])
        storage.write(con, built.parent, create_views)
    publish(warehouse, built, built.parent.name, keep)
    return built.parent.name


def _published_files(warehouse) -> dict:
    return {p: p.read_bytes() for g in generations.published(warehouse)
            for p in ([g.path] if g.path.parent.name != g.id else sorted(g.path.parent.rglob("*")))
            if p.is_file()}


def test_new_generations_pruning_and_rollback(warehouse, tiny_source, key_file, tmp_path):
    first = generations.current(warehouse)
    n_first = _events(first.path)
    report = refresh(source_with_fewer_events(tiny_source, tmp_path, 0.95), warehouse, key_file,
                     rules=PublishRules(keep=2))
    assert report.status == "published" and report.generation > first.id
    assert _publish_copy_with_fewer_events(warehouse, 0.9, keep=2) > report.generation
    second, third = generations.published(warehouse)          # the first is pruned
    assert generations.current(warehouse) == third and first.id < second.id < third.id
    assert _events(third.path) < _events(second.path) < n_first
    assert main(["rollback", "--warehouse", str(warehouse)]) == 0
    assert generations.current(warehouse) == second
    assert runlog.runs(warehouse)[0]["status"] == "rolled_back"
    assert main(["rollback", "--warehouse", str(warehouse)]) == 5       # nothing older is kept
    assert generations.current(warehouse) == second


def test_a_collapsed_build_is_refused(warehouse, tiny_source, key_file, tmp_path):
    before, on_disk = generations.current(warehouse), generations.published(warehouse)
    src = source_with_fewer_events(tiny_source, tmp_path, 0.3)
    code = main(["refresh", "--source", str(src), "--warehouse", str(warehouse),
                 "--key-file", str(key_file)])
    assert code == 4
    assert generations.current(warehouse) == before
    assert generations.published(warehouse) == on_disk
    assert not any((warehouse / generations.BUILDING).glob("*"))
    last = runlog.runs(warehouse)[0]
    assert last["status"] == "rejected" and "events" in last["error"]


def test_a_mostly_quarantined_file_is_refused(warehouse, tiny_source, key_file, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(tiny_source, src)
    lines = (src / "households.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    # a tenth of the households with an unknown grid code
    lines[1::10] = [",".join(f if k != 4 else "220299999999999" for k, f in enumerate(line.split(",")))
                    for line in lines[1::10]]
    (src / "households.csv").write_text("".join(lines), encoding="utf-8")
    with pytest.raises(PublishRefused, match="households.csv"):
        refresh(src, warehouse, key_file)
    assert runlog.runs(warehouse)[0]["status"] == "rejected"


def test_runs_never_overlap(warehouse, tiny_source, key_file):
    with refresh_lock(warehouse):
        with pytest.raises(Locked):
            refresh(tiny_source, warehouse, key_file)
        assert main(["refresh", "--source", str(tiny_source), "--warehouse", str(warehouse),
                     "--key-file", str(key_file)]) == 3
        assert main(["rollback", "--warehouse", str(warehouse)]) == 3
    # each refused run is in the run log, with why
    refused = runlog.runs(warehouse)[:3]
    assert [(r["status"], r["exit_code"]) for r in refused] == [("refused", 3)] * 3
    assert [r["command"] for r in refused] == ["rollback", "refresh", "refresh"]
    assert all("另一次刷新正在运行" in r["error"] for r in refused)


# log lines of the refresh; a run is killed as soon as it prints one
KILL_AT = ["读取网格图层", "读取 persons.csv", "模型 marts/"]      # first step, loading, modelling


def test_sigkill_at_any_step_leaves_the_served_generation(warehouse, tiny_source, key_file, tmp_path, capsys):
    # a third of the events: the steps are the same, each run is shorter
    source = source_with_fewer_events(tiny_source, tmp_path, 0.3)
    before = generations.current(warehouse)
    files = _published_files(warehouse)
    with duckdb.connect(str(before.path), read_only=True) as con:
        data_run = con.execute("SELECT run_id FROM ops.meta").fetchall()[0][0]
    for marker in KILL_AT:
        proc = subprocess.Popen([sys.executable, "-m", "etl", "refresh", "--source", str(source),
                                 "--warehouse", str(warehouse), "--key-file", str(key_file), "--force",
                                 "--min-row-ratio", "0"],
                                cwd=ROOT, stdout=subprocess.PIPE, text=True)
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if marker in line:
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait(60)
        assert proc.returncode == -signal.SIGKILL, "".join(seen)
        assert generations.current(warehouse) == before, marker
        assert _published_files(warehouse) == files
        with duckdb.connect(str(before.path), read_only=True) as con:     # still opens, still whole
            assert con.execute("SELECT run_id FROM ops.meta").fetchall()[0][0] == data_run
        # before any next run, `etl status` sees the process is gone: interrupted (中断)
        capsys.readouterr()
        assert main(["status", "--warehouse", str(warehouse)]) == 0
        assert "中断 (interrupted)" in capsys.readouterr().out.split("\n  ")[1], marker
        assert runlog.runs(warehouse)[0]["status"] == "interrupted"
    # the next run clears the leftovers and publishes
    assert list((warehouse / generations.GENERATIONS).glob(f"*/{generations.BUILDING_MARK}"))
    report = refresh(source, warehouse, key_file, rules=PublishRules(force=True, min_row_ratio=0))
    assert report.status == "published"
    assert not any((warehouse / generations.BUILDING).glob("*"))
    assert not list((warehouse / generations.GENERATIONS).glob(f"*/{generations.BUILDING_MARK}"))
    statuses = [r["status"] for r in runlog.runs(warehouse)[: len(KILL_AT) + 1]]
    assert statuses[0] == "published" and statuses[1:] == ["interrupted"] * len(KILL_AT)
    events_in = len((source / "events.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert _events(generations.current(warehouse).path) == events_in


def test_sigkill_between_the_new_file_and_the_pointer(warehouse, tiny_source, key_file, tmp_path):
    """The last step, simulated: a checked build's mark removed, CURRENT not replaced."""
    before = generations.current(warehouse)
    orphan = new_run_id()
    shutil.copytree(before.path.parent, generations.generation_path(warehouse, orphan).parent)
    assert generations.current(warehouse) == before
    report = refresh(source_with_fewer_events(tiny_source, tmp_path, 0.9), warehouse, key_file)
    assert generations.current(warehouse).id == report.generation > orphan


def test_a_build_is_held_to_its_memory_limit_and_spills_where_runs_clear(tmp_path):
    from etl.run import connect
    spill = tmp_path / "building" / "run.spill"
    con = connect("64MB", spill)
    limit, temp = con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    assert limit in ("61.0 MiB", "64.0 MB") and temp == str(spill)
    # a sort several times the limit completes by spilling
    n = con.execute("SELECT count(*) FROM (SELECT range AS x, md5(range::VARCHAR) AS h "
                    "FROM range(1500000) ORDER BY h)").fetchone()[0]
    assert n == 1_500_000 and spill.is_dir()
    con.close()                             # DuckDB removes its spill folder; a killed run leaves it:
    spill.mkdir(exist_ok=True)
    (spill / "duckdb_temp_storage-0.tmp").write_text("x")
    assert spill in clear_building(tmp_path) and not spill.exists()


@pytest.mark.parametrize("missing, drop", [
    ("core.map_shapes", "DROP TABLE core.map_shapes"),
    ("core.areas_in_force", "DROP VIEW core.areas_in_force"),
    # a release before the schemas per layer: its tables in main
    ("core.events", "CREATE TABLE main.events AS FROM core.events; DROP TABLE core.events")])
def test_no_rollback_to_a_generation_built_by_an_older_release(warehouse, tiny_source, key_file, tmp_path,
                                                               missing, drop):
    """A generation without a table or view the served one has, by schema and name (built before
    map_shapes, areas_in_force or the schemas existed) would break the cockpit: rollback refuses
    it and says why."""
    before = generations.current(warehouse)
    for g in generations.published(warehouse):      # the served one alone, then an older release's
        if g != before:
            shutil.rmtree(g.path.parent)
    older_id = "00000000T000000.000000-old0"       # sorts before every real generation
    older = warehouse / generations.GENERATIONS / f"{older_id}.duckdb"      # one file, as releases made
    storage.single_file(before.path, older)
    with duckdb.connect(str(older)) as con:
        con.execute(drop)
    point_to(warehouse, generations.Generation(older_id, older))
    point_to(warehouse, generations.Generation(before.id, before.path))
    assert [g.id for g in generations.published(warehouse)] == [older_id, before.id]
    assert main(["rollback", "--warehouse", str(warehouse)]) == 5
    assert generations.current(warehouse).id == before.id
    assert missing in runlog.runs(warehouse)[0]["error"]


def test_a_new_warehouse_format_rebuilds_unchanged_files(warehouse, tiny_source, key_file, monkeypatch):
    """A release whose build writes new tables rebuilds a warehouse whose files did not change."""
    import etl.publish.meta
    before = generations.current(warehouse)
    monkeypatch.setattr(etl.publish.meta, "WAREHOUSE_FORMAT", etl.publish.meta.WAREHOUSE_FORMAT + " and more")
    report = refresh(tiny_source, warehouse, key_file)
    assert report.status == "published" and report.generation > before.id
    # an incremental run cannot bring tables of an older release up to date: it refreshes in full
    monkeypatch.setattr(etl.publish.meta, "WAREHOUSE_FORMAT", etl.publish.meta.WAREHOUSE_FORMAT + " and then some")
    again = refresh(tiny_source, warehouse, key_file, incremental=True)
    assert again.status == "published" and len(again.files) == len(report.files) > 1
    with duckdb.connect(str(generations.current(warehouse).path), read_only=True) as con:
        assert con.execute("SELECT warehouse_format FROM ops.meta").fetchone()[0].endswith("and then some")


def test_a_failure_of_early_warning_does_not_hold_back_the_data(warehouse, tiny_source, key_file, tmp_path,
                                                                 monkeypatch):
    """A full refresh publishes its data with the served warnings carried over and labelled as
    those of earlier data, then its own warnings. When computing them fails, the data stays served
    and the next run, with the same files, computes them."""
    from etl.warning import build, settings
    before = generations.current(warehouse)
    with duckdb.connect(str(before.path), read_only=True) as con:
        old_alerts = con.execute("SELECT count(*) FROM warning.alerts").fetchone()[0]
    source = source_with_fewer_events(tiny_source, tmp_path, 0.9)
    monkeypatch.setattr(build, "compute", lambda *a: (_ for _ in ()).throw(RuntimeError("预警计算出错")))
    with pytest.raises(RuntimeError, match="预警计算出错"):
        refresh(source, warehouse, key_file, warning_settings=settings.DEFAULT_FILE)
    data = generations.current(warehouse)
    assert data != before
    with duckdb.connect(str(data.path), read_only=True) as con:
        assert con.execute("SELECT run_id FROM ops.meta").fetchone()[0] == data.id
        assert con.execute("SELECT data_run <> ? FROM warning.meta", [data.id]).fetchone()[0]
        assert con.execute("SELECT count(*) FROM warning.alerts").fetchone()[0] == old_alerts
    run = runlog.runs(warehouse)[0]
    assert (run["status"], run["generation"]) == ("failed", data.id) and "预警计算出错" in run["error"]
    monkeypatch.undo()
    report = refresh(source, warehouse, key_file, warning_settings=settings.DEFAULT_FILE)
    assert report.status == "published" and report.files == [] and report.generation > data.id
    with duckdb.connect(str(generations.current(warehouse).path), read_only=True) as con:
        assert con.execute("SELECT data_run FROM warning.meta").fetchone()[0] == data.id


def test_rollback_serves_the_data_before_its_warnings(warehouse):
    """The tiny warehouse's first refresh published its data with no warnings (nothing was served
    to carry them from), then its warnings: a rollback serves the data, warnings or not."""
    data, warned = generations.published(warehouse)[-2:]
    assert generations.current(warehouse) == warned
    with duckdb.connect(str(data.path), read_only=True) as con:
        assert not con.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'warning'"
                               ).fetchone()[0]                # no table, no view
    assert main(["rollback", "--warehouse", str(warehouse)]) == 0
    assert generations.current(warehouse) == data


def test_unreadable_warning_settings_do_not_hold_back_the_data(warehouse, tiny_source, key_file, tmp_path):
    before = generations.current(warehouse)
    bad = tmp_path / "settings.toml"
    bad.write_text("enabled = true\n[[rule]]\nname = '过多'\nmetric = 'reported'\n", encoding="utf-8")
    source = source_with_fewer_events(tiny_source, tmp_path, 0.9)
    code = main(["refresh", "--source", str(source), "--warehouse", str(warehouse), "--key-file",
                 str(key_file), "--warning-settings", str(bad)])
    assert code == 2                         # an input the run cannot read, as a source file
    data = generations.current(warehouse)
    assert data != before and _events(data.path) < _events(before.path)
    run = runlog.runs(warehouse)[0]
    assert run["status"] == "failed" and run["generation"] == data.id and "metric" in run["error"]


def test_switching_early_warning_off_drops_its_tables(warehouse, tiny_source, key_file):
    """Nothing new to load, early warning switched off: the next run serves the same data
    without warning tables, and the run after that has nothing to do."""
    from etl.warning.settings import DEFAULT_FILE
    assert refresh(tiny_source, warehouse, key_file, warning_settings=DEFAULT_FILE).status == "unchanged"
    report = refresh(tiny_source, warehouse, key_file)           # tests/warning_off.toml
    assert report.status == "published" and report.files == []
    with duckdb.connect(str(generations.current(warehouse).path), read_only=True) as con:
        assert not con.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'warning'"
                               ).fetchone()[0]                # no table, no view
    assert refresh(tiny_source, warehouse, key_file).status == "unchanged"


def test_a_prune_killed_midway_leaves_no_listed_generation_and_the_next_run_clears_it(warehouse):
    """A prune renames a generation out of the list before deleting it: killed after the rename,
    what is left is a hidden folder, which the next run clears."""
    from etl.publish import generations as publishing
    older, served = generations.published(warehouse)[-2:]
    gone = older.path.parent.with_name(publishing.REMOVING + older.id)
    os.rename(older.path.parent, gone)                  # the rename done, the deletion not
    assert generations.published(warehouse) == [served]
    assert gone in clear_building(warehouse) and not gone.exists()


def test_a_generation_open_elsewhere_is_not_pruned(warehouse):
    """A notebook or a backup holds an older generation: the prune passes it by until it lets go."""
    from etl.publish import generations as publishing
    older = generations.published(warehouse)[-2]
    with open(older.path, "rb") as f:
        publishing.hold(f.fileno())
        assert publishing.in_use(older.path)
        assert publishing.prune(warehouse, keep=1) == [] and older.path.exists()
    assert not publishing.in_use(older.path)
    assert publishing.prune(warehouse, keep=1) == [older] and not older.path.parent.exists()
