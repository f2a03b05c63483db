"""`python -m etl schedule --incremental --full-at 02:30`: incremental runs, and a full refresh
first and then once a day at or after the given time; runs never overlap."""
import datetime as dt

import pytest

from etl import schedule as sch


def test_which_runs_refresh_in_full():
    at = dt.time(2, 30)
    day = dt.date(2026, 12, 6)
    assert sch.full_run_due(dt.datetime(2026, 12, 6, 14, 0), None, at)            # the first run
    assert not sch.full_run_due(dt.datetime(2026, 12, 6, 14, 15), day, at)
    assert not sch.full_run_due(dt.datetime(2026, 12, 7, 2, 15), day, at)          # not yet 02:30
    assert sch.full_run_due(dt.datetime(2026, 12, 7, 2, 30), day, at)
    assert not sch.full_run_due(dt.datetime(2026, 12, 7, 2, 45), dt.date(2026, 12, 7), at)
    assert not sch.full_run_due(dt.datetime(2026, 12, 6, 14, 0), None, None)       # no --full-at
    assert sch.parse_clock("2:30") == at
    with pytest.raises(ValueError):
        sch.parse_clock("24:00")


def test_the_scheduler_drops_incremental_for_its_full_runs(monkeypatch):
    started = []

    class Child:
        def __init__(self, argv):
            started.append(argv)

        def wait(self):
            return 0

        def poll(self):
            return 0
    times = iter([dt.datetime(2026, 12, 6, 23, 50), dt.datetime(2026, 12, 7, 0, 5), dt.datetime(2026, 12, 7, 2, 20),
                  dt.datetime(2026, 12, 7, 2, 35), dt.datetime(2026, 12, 7, 2, 50)])
    monkeypatch.setattr(sch.subprocess, "Popen", Child)
    monkeypatch.setattr(sch, "_now", lambda: next(times))
    code = sch.schedule(["--source", "s", "--incremental"], period=0.001, runs=5, full_at=dt.time(2, 30))
    assert code == 0
    assert ["--incremental" in argv for argv in started] == [False, True, True, False, True]
    assert all(argv[1:4] == ["-m", "etl", "refresh"] for argv in started)


def test_then_runs_a_command_after_each_run_whatever_its_outcome(tmp_path):
    """Real child runs: a refresh that cannot read its source (exit 2), then the --then command,
    which gets the run's exit code in ETL_RUN_EXIT_CODE."""
    out = tmp_path / "codes.txt"
    then = ("python -c \"import os, sys; open(sys.argv[1], 'a').write(os.environ['ETL_RUN_EXIT_CODE'] + '\\n')\" "
            f"'{out}'")
    code = sch.schedule(["--source", str(tmp_path / "missing"), "--warehouse", str(tmp_path / "wh")],
                        period=0.01, runs=2, then=then)
    assert code == 2
    assert out.read_text() == "2\n2\n"
    assert sch.then_argv("python -m cockpit.notify")[1:] == ["-m", "cockpit.notify"]
    with pytest.raises(ValueError):
        sch.then_argv("  ")
    assert sch.run_then(["/nonexistent/command"], 0) is None
