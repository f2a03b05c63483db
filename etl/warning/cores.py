"""Work spread over the cores: pure-Python loops over many independent items (each incident's
review) hold the GIL, so threads do not help them; forked processes do, and share the parent's
arrays without copying or pickling them."""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence

from threadpoolctl import threadpool_limits

_WORK: tuple | None = None        # (function, shared state) the forked children inherit
CHUNKS_PER_WORKER = 4


def _run(chunk: Sequence) -> list:
    fn, state = _WORK
    with threadpool_limits(limits=1, user_api="blas"):
        return [fn(state, item) for item in chunk]


def map_forked(fn: Callable, state, items: Sequence, workers: int | None = None, least: int = 200) -> list:
    """[fn(state, item) for item in items], in order, on `workers` forked processes (the cores
    there are); in this process when there are fewer than `least` items or one core."""
    global _WORK
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(items) < max(least, 2):
        return [fn(state, item) for item in items]
    size = -(-len(items) // (workers * CHUNKS_PER_WORKER))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    _WORK = (fn, state)
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return [out for part in pool.map(_run, chunks) for out in part]
    finally:
        _WORK = None
