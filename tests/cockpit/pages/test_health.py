"""数据健康 without a browser: load_log, quarantine and repairs equal SQL on the served generation,
the run log comes from runs.sqlite, and no row value (raw_value) ever reaches the page."""
import shutil
import sqlite3

import duckdb
import pytest

from cockpit.app import create_app
from cockpit.config import Settings
from cockpit.db import Warehouse
from etl import storage
from tests.cockpit import signed_in
from warehouse import generations

PHONE, ID_NUMBER = "13812345678", "22020419800101123X"



@pytest.fixture(scope="module")
def page(app):
    from cockpit.pages import health  # pages register once the app exists
    return health


def test_load_log_and_served_generation_equal_sql(page, app, tiny_warehouse, tiny_db):
    with signed_in(app):
        v = page.refresh_health(0)
    con = duckdb.connect(str(tiny_db), read_only=True)
    want = con.execute("SELECT file, rows_in, rows_loaded, rows_quarantined, rows_repaired "
                       "FROM ops.load_log ORDER BY run_id, rowid").fetchall()
    totals = con.execute("SELECT sum(rows_in), sum(rows_loaded), sum(rows_quarantined) FROM ops.load_log").fetchall()[0]
    n_quarantine = con.execute("SELECT count(*) FROM ops.quarantine").fetchall()[0][0]
    con.close()
    got = [(r["file"], r["rows_in"], r["rows_loaded"], r["rows_quarantined"], r["rows_repaired"])
           for r in v["load"]]
    assert got == want and len(got) >= 7
    assert all(r["rows_in"] == r["rows_loaded"] + r["rows_quarantined"] for r in v["load"])
    assert f"读入 {totals[0]:,} 行 = 入库 {totals[1]:,} + 隔离 {totals[2]:,}" in v["total"]
    assert len(v["quarantine"]) == 0 if n_quarantine == 0 else len(v["quarantine"]) > 0
    served = generations.current(tiny_warehouse).id
    text = str(v["cards"])
    assert served in text and "已发布" in text


def test_run_log_is_read_from_runs_sqlite(page, tiny_warehouse, tmp_path):
    """A copy of the warehouse whose run log gets a failed run: it shows first, its error masked."""
    wh_dir = tmp_path / "wh"
    shutil.copytree(tiny_warehouse, wh_dir, ignore=shutil.ignore_patterns("refresh.lock", "building"))
    con = sqlite3.connect(wh_dir / "runs.sqlite")
    with con:
        con.execute("INSERT INTO runs (run_id, command, started_at, ended_at, status, exit_code, error) "
                    "VALUES ('29990101T000000-feed00', 'refresh', '2999-01-01T00:00:00+00:00', "
                    "'2999-01-01T00:01:00+00:00', 'failed', 2, ?)",
                    [f"events.csv 第 7 行无法读取：{PHONE} {ID_NUMBER}"])
    want = con.execute("SELECT run_id, status, rows_in FROM runs ORDER BY started_at DESC").fetchall()
    con.close()
    warehouse = Warehouse(wh_dir)
    with warehouse.snapshot() as snap:
        v = page.health_view(snap, wh_dir)
    warehouse.close()
    assert [(r["run_id"], r["rows_in"]) for r in v["runs"]] == [(w[0], w[2]) for w in want]
    assert v["runs"][0]["status"] == "失败" and v["runs"][1]["status"] == "已发布"
    assert v["runs"][0]["started_at"] == "2999-01-01 08:00:00"       # shown in Beijing time
    assert "138****5678" in v["runs"][0]["error"] and PHONE not in str(v)
    assert ID_NUMBER not in str(v)
    assert v["runs_style"] == {"display": "none"}
    assert "失败" in str(v["cards"])


def test_only_the_newest_20_runs(page, tiny_warehouse, tmp_path):
    wh_dir = tmp_path / "wh"
    shutil.copytree(tiny_warehouse, wh_dir, ignore=shutil.ignore_patterns("refresh.lock", "building"))
    con = sqlite3.connect(wh_dir / "runs.sqlite")
    with con:
        con.executemany("INSERT INTO runs (run_id, command, started_at, status) VALUES (?, 'refresh', ?, 'unchanged')",
                        [(f"2990{i:04d}", f"2990-01-01T00:{i // 60:02d}:{i % 60:02d}+00:00") for i in range(30)])
    con.close()
    warehouse = Warehouse(wh_dir)
    with warehouse.snapshot() as snap:
        v = page.health_view(snap, wh_dir)
    warehouse.close()
    assert [r["run_id"] for r in v["runs"]] == [f"2990{i:04d}" for i in range(29, 9, -1)]


@pytest.fixture
def dirty_file(tiny_db, tmp_path):
    """A single-file warehouse: the served generation plus quarantine entries and repairs whose
    raw values hold personal numbers."""
    path = tmp_path / "one.duckdb"
    storage.single_file(tiny_db, path)
    con = duckdb.connect(str(path))
    run_id = con.execute("SELECT run_id FROM ops.meta").fetchall()[0][0]
    con.executemany("INSERT INTO ops.quarantine VALUES (?, ?, ?, ?, ?, ?)", [
        [run_id, "persons.csv", 12, "phone", "bad_phone", PHONE],
        [run_id, "persons.csv", 40, "phone", "bad_phone", "1381234"],
        [run_id, "persons.csv", 40, "id_number", "bad_check_digit", ID_NUMBER],
        [run_id, "events.csv", 7, "reported_at", "in_future", "2999-01-01 00:00"],
    ])
    con.execute("INSERT INTO ops.repairs VALUES (?, 'persons.csv', 3, 'phone', 'full_width_digits', ?, ?)",
                [run_id, "１３８１２３４５６７８", PHONE])
    con.close()
    return path


def test_quarantine_and_repairs_by_rule_show_counts_never_values(page, dirty_file):
    warehouse = Warehouse(dirty_file)
    with warehouse.snapshot() as snap:
        v = page.health_view(snap, dirty_file)
    warehouse.close()
    con = duckdb.connect(str(dirty_file), read_only=True)
    want = con.execute("SELECT file, column_name, rule, count(*), count(DISTINCT line) FROM ops.quarantine "
                       "GROUP BY ALL ORDER BY ALL").fetchall()
    con.close()
    got = sorted((r["file"], r["column_name"], r["rule"], r["entries"], r["lines"]) for r in v["quarantine"])
    assert got == want
    phone_rows = [r for r in v["quarantine"] if r["rule"] == "bad_phone"]
    assert phone_rows[0]["first_lines"] == "12, 40"
    assert [(r["repair"], r["cells"]) for r in v["repairs"]] == [("full_width_digits", 1)]
    text = str(v)
    for value in (PHONE, "1381234", ID_NUMBER, "１３８１２３４５６７８", "2999-01-01 00:00"):
        assert value not in text
    assert v["quarantine_style"] == {"display": "none"} and v["repairs_style"] == {"display": "none"}
    # a single DuckDB file has no run log: the page says so
    assert v["runs"] == [] and v["runs_style"] == {"display": "block"}
    assert "没有 ETL 运行日志" in v["runs_note"] and "单文件数据仓库" in str(v["cards"])


def test_a_new_run_shows_on_the_next_tick_and_nothing_else_rereads(tiny_warehouse, tmp_path, monkeypatch):
    """The page is cached between ticks until the run log changes on disk: an unchanged log asks
    the warehouse nothing, a run written by the ETL shows on the next tick."""
    from cockpit.cache import cache
    from cockpit.db import Snapshot
    wh_dir = tmp_path / "wh"
    shutil.copytree(tiny_warehouse, wh_dir, ignore=shutil.ignore_patterns("refresh.lock", "building"))
    app = create_app(Settings(warehouse=wh_dir))
    from cockpit.pages import health as page
    asked, query = [], Snapshot.query
    monkeypatch.setattr(Snapshot, "query", lambda self, *a: asked.append(a) or query(self, *a))
    with signed_in(app, path="/health"):
        cache.clear()
        first = page.refresh_health(0)
        n = len(asked)
        assert n > 0 and page.refresh_health(1)["runs"] == first["runs"] and len(asked) == n
    con = sqlite3.connect(wh_dir / "runs.sqlite")
    with con:
        con.execute("INSERT INTO runs (run_id, command, started_at, status) "
                    "VALUES ('29990101T000000-feed01', 'refresh', '2999-01-01T00:00:00+00:00', 'running')")
    con.close()
    with signed_in(app, path="/health"):
        again = page.refresh_health(2)
    assert again["runs"][0]["run_id"] == "29990101T000000-feed01" and len(asked) > n
    app.server.config["COCKPIT_WAREHOUSE"].close()


def test_topology_and_calendar_warnings_show(page, dirty_file):
    """Grids that do not tile their community and years no work calendar covers: a card each,
    and their rows (area codes and years, no resident's data)."""
    con = duckdb.connect(str(dirty_file))
    con.execute("INSERT INTO ops.grid_topology VALUES ('2026-01-01', '220204001001', 'overlap', "
                "'220204001001001;220204001001002', 4321.5)")
    con.execute("INSERT INTO ops.calendar_coverage VALUES (2027, NULL, 12, 3)")
    con.close()
    warehouse = Warehouse(dirty_file)
    with warehouse.snapshot() as snap:
        v = page.health_view(snap, dirty_file)
    warehouse.close()
    cards = str(v["cards"])
    assert "网格拓扑" in cards and "工作日历未覆盖" in cards and "2027" in cards
    assert v["topology"][0]["problem"] == "重叠" and v["topology"][0]["area_m2"] == 4321.5
    assert v["topology"][0]["grid_codes"] == "220204001001001、220204001001002"
    assert [r for r in v["calendar"] if r["year"] == 2027][0]["source"].startswith("未覆盖")
    assert v["topology_style"] == {"display": "none"}


def test_a_run_whose_process_is_gone_shows_as_interrupted(page, tiny_warehouse, tmp_path):
    import subprocess
    import sys
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    wh_dir = tmp_path / "wh"
    shutil.copytree(tiny_warehouse, wh_dir, ignore=shutil.ignore_patterns("refresh.lock", "building"))
    con = sqlite3.connect(wh_dir / "runs.sqlite")
    with con:
        con.execute("INSERT INTO runs (run_id, command, pid, started_at, status) "
                    "VALUES ('29990101T000000-dead00', 'refresh', ?, '2999-01-01T00:00:00+00:00', 'running')", [gone])
    con.close()
    warehouse = Warehouse(wh_dir)
    with warehouse.snapshot() as snap:
        v = page.health_view(snap, wh_dir)
    warehouse.close()
    assert v["runs"][0]["status"] == "中断" and "中断" in str(v["cards"])
