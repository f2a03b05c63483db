"""`python -m etl schedule --every 15m`: refresh on a fixed period, in its own process (never
inside the web workers). Each run is a child `python -m etl refresh`, so a run that crashes or
runs out of memory cannot take the scheduler with it, and its memory goes back to the system.
Runs never overlap: this loop waits for one to end before the next starts, and the refresh lock
also keeps out a cron job or a hand-started run (that run is then skipped: ExitCode.LOCKED).
A run that overruns its period starts the next one straight away, without a backlog.

With `--incremental --full-at 02:30`, the runs merge only new update files, except the first one
after the scheduler starts and the first one at or after 02:30 each day, which refresh in full
(a changed persons.csv or grid layer needs a full refresh; with unchanged files a full refresh
only hashes them and ends `unchanged`).

With `--then "COMMAND"`, COMMAND runs after each run whatever its outcome (the install kit sends
the push this way: `--then "python -m cockpit.notify"`), with the run's exit code in
ETL_RUN_EXIT_CODE. It is split like a shell line but run without a shell; `python` means this
interpreter. It may take THEN_TIMEOUT seconds, then it is stopped; its exit code is logged and
changes nothing else: the scheduler knows nothing of what it does (the ETL imports no cockpit).
Not after a run cut short because the scheduler itself is stopping."""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shlex
import signal
import subprocess
import sys
import time

from etl.exitcodes import ExitCode, outcome

log = logging.getLogger(__name__)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
THEN_TIMEOUT = 600


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


def then_argv(command: str) -> list[str]:
    """The --then command as an argument list; a leading `python` is this interpreter."""
    argv = shlex.split(command)
    if not argv:
        raise ValueError("--then 需要一条命令 (a command)")
    return [sys.executable, *argv[1:]] if argv[0] == "python" else argv


def run_then(argv: list[str], code: int, timeout: float = THEN_TIMEOUT) -> int | None:
    """Run the --then command after a run that ended with `code`; its exit code (None: stopped)."""
    try:
        done = subprocess.run(argv, env={**os.environ, "ETL_RUN_EXIT_CODE": str(code)}, timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning("--then 超时 %d s, 已停止 (stopped)", timeout)
        return None
    except OSError as exc:
        log.warning("--then 无法运行: %s", exc)
        return None
    log.info("--then 结束: exit %d", done.returncode)
    return done.returncode


def schedule(refresh_args: list[str], period: float, runs: int | None = None,
             full_at: dt.time | None = None, then: str | None = None) -> int:
    """Run `python -m etl refresh <refresh_args>` every `period` seconds (`runs` times, or until
    SIGTERM/SIGINT); with `full_at`, a run due then drops `--incremental` (see the module doc);
    with `then`, that command after each run. Returns the last run's exit code."""
    then_args = then_argv(then) if then else None
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
            if then_args is not None and not stop:
                run_then(then_args, code)
            next_start += period
            while not stop and (runs is None or done < runs) and time.monotonic() < next_start:
                time.sleep(min(1.0, next_start - time.monotonic()))
            next_start = max(next_start, time.monotonic())
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return code
