"""Work spread over the cores, for the early warning and the load. Vectorised calls that leave the
GIL (numpy, shapely's predicates, pyproj's transforms) run on threads (`map_threads`); pure-Python
loops over many independent items (each incident's review) hold it, so threads do not help them;
forked processes do (`map_forked`), and share the parent's arrays without copying or pickling
them. The workers die with the run (a killed refresh leaves no orphan; etl/lock.py closes the lock
in them), and how many there are is one rule, `count`."""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, Sequence

from threadpoolctl import threadpool_limits

CHUNKS_PER_WORKER = 4
# threads of map_threads: each holds one item (a million-row batch) in flight, so the bound on
# memory must not grow with a large machine's cores
MAX_THREADS = 8
_PR_SET_PDEATHSIG = 1
_work: tuple | None = None        # (function, shared state), set in each worker by its initializer


def count() -> int:
    """The cores this process may use (its CPU affinity, not the machine's count), at most
    ETL_WORKERS when set: the threads and forked workers of the early warning and the load."""
    cores = len(os.sched_getaffinity(0))
    limit = os.environ.get("ETL_WORKERS", "").strip()
    return max(1, min(cores, int(limit))) if limit else cores


def map_threads(fn: Callable, items: Iterable, workers: int | None = None) -> Iterator:
    """fn(item) for each of `items`, in order, on `workers` threads (`count()` by default, at most
    MAX_THREADS), for work that leaves the GIL. At most workers + 1 items are taken ahead of the
    results consumed, so a stream of large batches stays bounded in memory whatever the machine.
    On an error (or when the caller stops early) the items not started are dropped, and the
    threads are joined before it propagates."""
    workers = min(workers or count(), MAX_THREADS)
    if workers < 2:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(workers) as pool:
        pending = deque()
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _start(work: tuple, parent: int) -> None:
    """In a worker: die with the parent (Linux's parent-death signal), even if it is killed."""
    global _work
    _work = work
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:            # the parent died before the signal was asked for
        os._exit(1)


def _run(chunk: Sequence) -> list:
    fn, state = _work
    with threadpool_limits(limits=1, user_api="blas"):
        return [fn(state, item) for item in chunk]


def map_forked(fn: Callable, state, items: Sequence, workers: int | None = None, least: int = 200) -> list:
    """[fn(state, item) for item in items], in order, on `workers` forked processes (`count()`
    by default); in this process when there are fewer than `least` items or one worker."""
    workers = workers or count()
    if workers < 2 or len(items) < max(least, 2):
        return [fn(state, item) for item in items]
    size = -(-len(items) // (workers * CHUNKS_PER_WORKER))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    # with fork, the initializer's arguments are inherited, not pickled
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_start,
                             initargs=((fn, state), os.getpid())) as pool:
        return [out for part in pool.map(_run, chunks) for out in part]
