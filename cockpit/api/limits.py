"""Rate limits for the open API, behind a small interface (`Limiter`): a token bucket per key,
in this process. The web server is one process (waitress, threads), so that is exact today; a
later shared store (Redis) implements the same two methods and nothing else changes.

A bucket holds `per_minute` requests and refills at per_minute/60 a second: a client may burst
up to a minute's allowance, then gets one request per refill interval."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

MAX_KEYS = 10_000               # buckets kept before full (idle) ones are forgotten


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int                  # requests per minute
    remaining: int              # whole requests left now
    retry_after: float = 0.0    # seconds until the next one is allowed (when refused)


class Limiter(Protocol):
    def take(self, key: str) -> Decision:
        """Spend one request of `key`'s allowance, if there is one."""

    def peek(self, key: str) -> Decision:
        """Whether `key` has one left, without spending it."""


class InProcessLimiter:
    def __init__(self, per_minute: int, clock=time.monotonic):
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute, self._clock = per_minute, clock
        self._rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}      # key → (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> Decision:
        return self._decide(key, spend=True)

    def peek(self, key: str) -> Decision:
        return self._decide(key, spend=False)

    def _decide(self, key: str, spend: bool) -> Decision:
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - at) * self._rate)
            allowed = tokens >= 1.0
            if allowed and spend:
                tokens -= 1.0
            if spend:
                self._buckets[key] = (tokens, now)
                if len(self._buckets) > MAX_KEYS:
                    self._forget_full(now)
        return Decision(allowed, self.per_minute, int(tokens),
                        0.0 if allowed else (1.0 - tokens) / self._rate)

    def _forget_full(self, now: float) -> None:
        """A full bucket is the same as no bucket: drop those (a scan of many addresses)."""
        self._buckets = {k: (t, at) for k, (t, at) in self._buckets.items()
                         if t + (now - at) * self._rate < self.per_minute}
