"""Work spread over the cores (etl/cores.py): one worker count, forked workers that return in
order, and die with the run without holding its lock; threads for work that leaves the GIL."""
import threading
import time

import pytest
from hypothesis import given, settings, strategies as st

from etl import cores


def _square(state, item):
    offset, unpicklable = state
    return item * item + offset + unpicklable()


def test_work_spread_over_forked_processes_comes_back_in_order():
    items = list(range(1000))
    state = (7, lambda: 1)                 # a lambda cannot be pickled: the children inherit it
    want = [_square(state, i) for i in items]
    assert cores.map_forked(_square, state, items, workers=2, least=1) == want
    assert cores.map_forked(_square, state, items, workers=2, least=10_000) == want     # in this process
    assert cores.map_forked(_square, state, [], workers=2, least=0) == []


_KILLED_RUN = """
import os, sys, time
from pathlib import Path
from etl.lock import refresh_lock
from etl import cores

def work(folder, item):
    (Path(folder) / f"worker-{os.getpid()}").touch()
    time.sleep(120)

with refresh_lock(Path(sys.argv[1])):
    cores.map_forked(work, sys.argv[1], list(range(8)), workers=2, least=1)
"""


def _wait(condition, seconds=30.0):
    import time
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_killed_run_leaves_neither_its_lock_nor_its_workers(tmp_path):
    """A refresh killed while its forked workers review incidents (SIGKILL, the OOM killer): the
    workers die with it and never held the lock, so the next run gets it."""
    import fcntl
    import os
    import signal
    import subprocess
    import sys

    from etl.lock import FILE
    from warehouse.paths import ROOT

    run = subprocess.Popen([sys.executable, "-c", _KILLED_RUN, str(tmp_path)], cwd=ROOT)
    try:
        assert _wait(lambda: len(list(tmp_path.glob("worker-*"))) == 2), "the workers did not start"
        workers = [int(p.name.split("-")[1]) for p in tmp_path.glob("worker-*")]
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()

    def gone(pid):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with open(f"/proc/{pid}/stat") as f:           # a zombie waiting for init is gone too
            return f.read().split(")")[-1].split()[0] == "Z"

    def free():
        fd = os.open(tmp_path / FILE, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
        finally:
            os.close(fd)

    try:
        assert _wait(free), "the refresh lock outlived the killed run"
        assert _wait(lambda: all(gone(pid) for pid in workers)), "a worker outlived the killed run"
    finally:
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_the_cores_used_follow_the_affinity_and_etl_workers(monkeypatch):
    import os
    monkeypatch.delenv("ETL_WORKERS", raising=False)
    assert cores.count() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("ETL_WORKERS", "1")
    assert cores.count() == 1
    monkeypatch.setenv("ETL_WORKERS", "999")
    assert cores.count() == len(os.sched_getaffinity(0))


@settings(max_examples=40)
@given(st.integers(0, 60), st.integers(1, 4))
def test_work_on_threads_comes_back_in_order_with_few_items_taken_ahead(n, workers):
    """map_threads: fn of every item in order, and never more than workers + 1 items taken from
    the stream beyond the results consumed (a batch each: memory stays bounded)."""
    taken = []

    def stream():
        for i in range(n):
            taken.append(i)
            yield i

    def slow_square(i):
        time.sleep(0.001 * (i % 3))               # finishing out of order
        return i * i

    got = []
    for out in cores.map_threads(slow_square, stream(), workers):
        assert len(taken) - len(got) <= workers + 1
        got.append(out)
    assert got == [i * i for i in range(n)]


def test_an_error_on_a_thread_reaches_the_caller():
    def fail_on_three(i):
        if i == 3:
            raise ValueError(i)
        return i
    with pytest.raises(ValueError):
        list(cores.map_threads(fail_on_three, range(10), 2))


def test_the_threads_and_items_taken_ahead_are_bounded_on_a_large_machine():
    taken, seen_threads = [], set()

    def stream():
        for i in range(200):
            taken.append(i)
            yield i

    def note(i):
        seen_threads.add(threading.get_ident())
        return i
    for k, _ in enumerate(cores.map_threads(note, stream(), 64)):
        assert len(taken) - k <= cores.MAX_THREADS + 1
    assert len(seen_threads) <= cores.MAX_THREADS
