"""Counters and latency histograms of this process, in Prometheus's text format (version 0.0.4).

The web server is one process (waitress, threads), so the numbers live in memory; a restart
starts them again, which Prometheus's rate() expects. Label values come from closed sets (pages,
callbacks, handlers, status codes), never from what a client sent, so a scan of made-up URLs
cannot grow them."""
from __future__ import annotations

import threading
from collections import defaultdict

# seconds: a cached answer takes milliseconds, a cold page a second or more
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self):
        self._lock = threading.Lock()
        self._requests: dict[tuple, int] = defaultdict(int)            # (page, handler, status)
        self._latency: dict[tuple, list] = {}                            # (page, handler) → buckets, sum, n
        self._cache: dict[tuple, int] = defaultdict(int)                 # (function, result, origin)

    def request(self, page: str, handler: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(page, handler, str(status))] += 1
            hist = self._latency.setdefault((page, handler), [[0] * len(BUCKETS), 0.0, 0])
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    hist[0][i] += 1
            hist[1] += seconds
            hist[2] += 1

    def cache(self, function: str, hit: bool, origin: str = "request") -> None:
        """A memoized lookup; `origin` "warming" for the warming thread's (cockpit/ops/warm.py),
        whose misses are no screen's wait."""
        with self._lock:
            self._cache[(function, "hit" if hit else "miss", origin)] += 1

    def render(self, gauges: list[tuple[str, str, dict, float]] = ()) -> str:
        """The exposition: this process's counters, then `gauges` (name, help, labels, value)."""
        out = []
        with self._lock:
            _family(out, "cockpit_requests_total", "counter", "HTTP requests by page, handler and status",
                    [({"page": p, "handler": h, "status": s}, n) for (p, h, s), n in sorted(self._requests.items())])
            out += ["# HELP cockpit_request_seconds Time to answer, by page and handler",
                    "# TYPE cockpit_request_seconds histogram"]
            for (page, handler), (counts, total, n) in sorted(self._latency.items()):
                labels = {"page": page, "handler": handler}
                out += [_sample("cockpit_request_seconds_bucket", {**labels, "le": _num(b)}, c)
                        for b, c in zip(BUCKETS, counts)]
                out += [_sample("cockpit_request_seconds_bucket", {**labels, "le": "+Inf"}, n),
                        _sample("cockpit_request_seconds_sum", labels, total),
                        _sample("cockpit_request_seconds_count", labels, n)]
            _family(out, "cockpit_cache_lookups_total", "counter",
                    "Cached views and queries: hits and misses, by requests or by warming",
                    [({"function": f, "result": r, "origin": o}, n) for (f, r, o), n in sorted(self._cache.items())])
        seen = set()
        for name, text, labels, value in gauges:
            if name not in seen:
                out += [f"# HELP {name} {text}", f"# TYPE {name} gauge"]
                seen.add(name)
            out.append(_sample(name, labels, value))
        return "\n".join(out) + "\n"


def _family(out: list, name: str, kind: str, text: str, samples) -> None:
    out += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
    out += [_sample(name, labels, value) for labels, value in samples]


def _sample(name: str, labels: dict, value: float) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
    return f"{name}{{{inner}}} {_num(value)}" if inner else f"{name} {_num(value)}"


def _escape(value) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))
