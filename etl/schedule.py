"""`python -m etl schedule --every 15m`: refresh on a fixed period, in its own process (never
inside the web workers). Each run is a child `python -m etl refresh`, so a run that crashes or
runs out of memory cannot take the scheduler with it, and its memory goes back to the system.
Runs never overlap: this loop waits for one to end before the next starts, and the refresh lock
also keeps out a cron job or a hand-started run (that run is then skipped: ExitCode.LOCKED).
A run that overruns its period starts the next one straight away, without a backlog.

With `--incremental --full-at 02:30`, the runs merge only new update files, except the first one
after the scheduler starts and the first one at or after 02:30 each day, which refresh in full
(a changed persons.csv or grid layer needs a full refresh; with unchanged files a full refresh
only hashes them and ends `unchanged`)."""
from __future__ import annotations

import datetime as dt
import logging
import re
import signal
import subprocess
import sys
import time

from etl.exitcodes import ExitCode, outcome

log = logging.getLogger(__name__)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_period(text: str) -> float:
    """'15m', '1h', '30s', '2d' or plain seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"不是有效的周期: {text!r} (a period like 15m, 1h, 30s)")
    return float(m.group(1)) * UNITS[m.group(2) or "s"]


def parse_clock(text: str) -> dt.time:
    """'02:30' → 02:30 local time."""
    m = re.fullmatch(r"\s*([01]?\d|2[0-3]):([0-5]\d)\s*", text)
    if not m:
        raise ValueError(f"不是有效的时刻: {text!r} (a time like 02:30)")
    return dt.time(int(m.group(1)), int(m.group(2)))


def full_run_due(now: dt.datetime, last_full: dt.date | None, full_at: dt.time | None) -> bool:
    """Whether the run starting `now` refreshes in full: the first run, then the first one at or
    after `full_at` on a day without a full run yet."""
    if full_at is None:
        return False
    return last_full is None or (now.time() >= full_at and last_full < now.date())


def _now() -> dt.datetime:
    return dt.datetime.now()


def schedule(refresh_args: list[str], period: float, runs: int | None = None,
             full_at: dt.time | None = None) -> int:
    """Run `python -m etl refresh <refresh_args>` every `period` seconds (`runs` times, or until
    SIGTERM/SIGINT); with `full_at`, a run due then drops `--incremental` (see the module doc).
    Returns the last run's exit code."""
    stop = False
    child: subprocess.Popen | None = None

    def on_signal(signum, _frame):
        nonlocal stop
        stop = True
        log.info("收到信号 %s, 本次运行结束后退出 (stopping)", signal.Signals(signum).name)
        if child is not None and child.poll() is None:
            child.terminate()       # the served generation is untouched by an unfinished run

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    code, done, last_full = ExitCode.DONE, 0, None
    try:
        next_start = time.monotonic()
        while not stop and (runs is None or done < runs):
            started = _now()
            args = refresh_args
            if full_run_due(started, last_full, full_at):
                args, last_full = [a for a in refresh_args if a != "--incremental"], started.date()
            log.info("开始刷新 (refresh %d%s)", done + 1, "" if "--incremental" in args else ", 全量 full")
            child = subprocess.Popen([sys.executable, "-m", "etl", "refresh", *args])
            code = child.wait()
            child = None
            done += 1
            log.info("刷新结束: %s", outcome(code))
            next_start += period
            while not stop and (runs is None or done < runs) and time.monotonic() < next_start:
                time.sleep(min(1.0, next_start - time.monotonic()))
            next_start = max(next_start, time.monotonic())
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return code
