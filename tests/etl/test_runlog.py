"""The run log's schema versions: an older file is upgraded at start, keeping its rows; a newer
one is refused. A run whose process is gone shows as interrupted."""
import sqlite3
import subprocess
import sys

import pytest

from etl import runlog
from etl.__main__ import main


def _old_file(folder):
    """runs.sqlite as the release before versions wrote it: no user_version, no process columns."""
    folder.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(folder / runlog.FILE)
    con.executescript(runlog.MIGRATIONS[0])
    con.execute("INSERT INTO runs (run_id, command, pid, started_at, status, exit_code) VALUES "
                "('20261101T000000.000000-aaaa', 'refresh', 1, '2026-11-01T00:00:00+08:00', 'published', 0)")
    con.execute("INSERT INTO run_files VALUES ('20261101T000000.000000-aaaa', 'events.csv', 'x', 'utf-8', 5, 4, 1, 0)")
    con.commit()
    con.close()


def test_an_old_run_log_is_upgraded_keeping_its_rows(tmp_path):
    _old_file(tmp_path)
    con = runlog.connect(tmp_path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == runlog.VERSION
    assert con.execute("SELECT run_id, status FROM runs").fetchall() == [("20261101T000000.000000-aaaa", "published")]
    assert con.execute("SELECT rows_in, lines_in FROM run_files").fetchall() == [(5, None)]
    runlog.start(con, "20261201T000000.000000-bbbb", "refresh", "src")      # the new columns work
    runlog.finish(con, "20261201T000000.000000-bbbb", "published", 0, seconds=1.0,
                  files=[{"file": "events.csv", "rows_in": 3, "loaded": 3, "quarantined": 0, "lines_in": 4}])
    con.close()
    again = runlog.connect(tmp_path)               # a second start finds nothing to do
    assert runlog.upgrade(again) == runlog.VERSION
    assert again.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
    assert again.execute("SELECT lines_in FROM run_files WHERE run_id LIKE '%bbbb'").fetchone()[0] == 4
    again.close()


def test_a_run_log_from_a_newer_release_is_refused(tmp_path):
    con = runlog.connect(tmp_path)
    con.execute(f"PRAGMA user_version = {runlog.VERSION + 1}")
    con.close()
    with pytest.raises(runlog.NewerRunLog):
        runlog.connect(tmp_path)


def test_status_marks_a_run_whose_process_is_gone_interrupted(tmp_path, capsys):
    gone = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True).stdout)
    con = runlog.connect(tmp_path)
    runlog.start(con, "20261201T000000.000000-live", "refresh", "src")     # this process: alive
    con.execute("INSERT INTO runs (run_id, command, pid, host, started_at, status) VALUES "
                "('20261201T000001.000000-dead', 'refresh', ?, ?, '2026-12-01T00:00:01+08:00', 'running')",
                [gone, runlog.host()])
    con.close()
    assert main(["status", "--warehouse", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "中断 (interrupted)" in out and "运行中 (running)" in out
    status = {r["run_id"][-4:]: r["status"] for r in runlog.runs(tmp_path)}
    assert status == {"live": "running", "dead": "interrupted"}
