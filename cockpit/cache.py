"""flask-caching, keyed by the data generation so a new build never serves stale answers.

A page's callbacks call *views*: pure functions of (snapshot, scope, *filters) that return the
callback's outputs. `@view` memoizes them; the snapshot's repr names its generation and the
scope's repr its code, so both are in every key and a new generation simply misses. Figures are
stored as plain dicts: unpickling a plotly Figure re-validates it, which costs more than the
queries it saved.

The cache is each process's memory (a bounded SimpleCache), or Redis when COCKPIT_CACHE_URL is
set: then every web process and server shares one cache, so a view computed on one is served by
all (Redis bounds the memory: maxmemory with allkeys-lru, docs/operations.md). A Redis that does
not answer costs only the cache: flask-caching logs it and computes the view."""
from __future__ import annotations

import functools
import threading
from contextlib import contextmanager

import plotly.graph_objects as go
from flask_caching import Cache

cache = Cache()
KEY_PREFIX = "cockpit:cache:"


def init_cache(server, settings) -> None:
    config = {"CACHE_DEFAULT_TIMEOUT": settings.cache_seconds,
              "CACHE_ENABLE_SIGNALS": True}                            # counted by cockpit/ops
    if settings.cache_url:
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=settings.cache_url, CACHE_KEY_PREFIX=KEY_PREFIX,
                      CACHE_OPTIONS={"socket_timeout": 2, "socket_connect_timeout": 2})
    else:
        config.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=settings.cache_entries)
    cache.init_app(server, config=config)


def plain(value):
    """Figures (also inside tuples, lists and a callback's named outputs) as the dicts Dash sends
    anyway. Dicts are walked one level: figures are only ever an output or in a list of them."""
    if isinstance(value, go.Figure):
        return value.to_plotly_json()
    if isinstance(value, (tuple, list)):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: v.to_plotly_json() if isinstance(v, go.Figure) else plain(v) if isinstance(v, (tuple, list))
                else v for k, v in value.items()}
    return value


def view(func):
    @functools.wraps(func)
    def computed(*args, **kwargs):
        return plain(func(*args, **kwargs))
    memoized = cache.memoize()(computed)

    @functools.wraps(func)
    def one_at_a_time(*args, **kwargs):
        with _flight((func.__module__, func.__qualname__, repr(args), repr(sorted(kwargs.items())))):
            return memoized(*args, **kwargs)
    return one_at_a_time


# Single flight: a view asked for by many requests at once (every screen polls just after a
# publish, when every key is new) is computed by one of them per process; the others wait for it
# and then read the cache. Without this each of 100 waiting requests ran the same queries.
_flights: dict[tuple, threading.Lock] = {}
_flights_lock = threading.Lock()


@contextmanager
def _flight(key: tuple):
    with _flights_lock:
        lock = _flights.setdefault(key, threading.Lock())
    with lock:
        try:
            yield
        finally:
            with _flights_lock:
                if _flights.get(key) is lock:
                    del _flights[key]          # those still waiting hold it; latecomers hit the cache
