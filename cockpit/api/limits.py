"""Rate limits for the open API, behind a small interface (`Limiter`): a token bucket per key,
either in this process (one web process: exact) or in Redis (COCKPIT_CACHE_URL: one bucket per
key for every web process and server, so a client cannot multiply its allowance by the number of
servers behind the proxy). `limiter(settings, name, per_minute)` picks one.

A bucket holds `per_minute` requests and refills at per_minute/60 a second: a client may burst
up to a minute's allowance, then gets one request per refill interval."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache
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


# One bucket, read and written in one step on the Redis server (a script runs alone): tokens and
# the time they were counted, refilled for the time since, one spent if there is one. The time is
# the Redis server's (every web server's clock agrees with it by construction), or ARGV[4] when a
# caller gives its own clock (tests). A bucket expires when it would be full again: an absent
# bucket is a full one, so idle keys cost no memory.
_BUCKET = """
local capacity, rate, spend = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
local now = tonumber(ARGV[4])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local kept = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(kept[1]) or capacity
local at = tonumber(kept[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = tokens >= 1
if allowed and spend then tokens = tokens - 1 end
if spend then
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
end
return {allowed and 1 or 0, string.format('%.17g', tokens)}
"""


class RedisLimiter:
    """The same buckets in Redis, shared by every web process that uses the same server."""

    def __init__(self, client, per_minute: int, prefix: str, clock=None):
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute, self._rate, self._prefix, self._clock = per_minute, per_minute / 60.0, prefix, clock
        self._script = client.register_script(_BUCKET)

    def take(self, key: str) -> Decision:
        return self._decide(key, spend=True)

    def peek(self, key: str) -> Decision:
        return self._decide(key, spend=False)

    def _decide(self, key: str, spend: bool) -> Decision:
        now = "" if self._clock is None else repr(float(self._clock()))
        allowed, tokens = self._script(keys=[self._prefix + key],
                                       args=[self.per_minute, repr(self._rate), int(spend), now])
        tokens = float(tokens)
        return Decision(bool(allowed), self.per_minute, int(tokens),
                        0.0 if allowed else (1.0 - tokens) / self._rate)


@lru_cache(maxsize=8)
def redis_client(url: str):
    """One client (its own connection pool) per URL and process."""
    import redis
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30)


def limiter(settings, name: str, per_minute: int) -> Limiter:
    """The `name` limit (its own buckets) of `per_minute` requests per key: in Redis when the
    settings name one (COCKPIT_CACHE_URL), else in this process."""
    if settings.cache_url:
        return RedisLimiter(redis_client(settings.cache_url), per_minute, f"cockpit:limit:{name}:")
    return InProcessLimiter(per_minute)
