"""Token buckets per key (client address): in Redis, shared by every gateway replica, and in
process memory as the fallback.

With N gateway replicas, in-process buckets would give a client N times each limit; the
per-client limits (logins, registrations, checkouts, password re-checks) therefore live in Redis,
one atomic script call per limited request (the other requests never touch Redis). When Redis
does not answer, each replica falls back to its own buckets (N× at worst: still a limit) and says
so in `sportello_gateway_ratelimit_fallback`. The global ceiling protects one replica's own
capacity, so it stays in process.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import redis.asyncio as redis
import structlog
from prometheus_client import Counter, Gauge

log = structlog.get_logger()

RATELIMIT_FALLBACK = Gauge(
    "sportello_gateway_ratelimit_fallback",
    "1 while this gateway counts per-client limits in process because Redis is unreachable")
RATELIMIT_FALLBACK_DECISIONS = Counter(
    "sportello_gateway_ratelimit_fallback_decisions_total",
    "Limited requests decided by the in-process buckets instead of Redis")


class TokenBuckets:
    def __init__(self, rate_per_second: float, burst: float,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self.rate = rate_per_second
        self.burst = max(1.0, burst)
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}   # key → (tokens, at)

    def take(self, key: str = "") -> int:
        """0 if a request may pass now (one token spent), else the seconds to wait (≥ 1)."""
        now = self.clock()
        tokens, at = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self.max_keys:
                self._prune(now)
            return 0
        self._buckets[key] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def _prune(self, now: float) -> None:
        # A full bucket holds no information: forgetting it changes nothing for that client.
        self._buckets = {k: (t, at) for k, (t, at) in self._buckets.items()
                         if t + (now - at) * self.rate < self.burst}
        if len(self._buckets) > self.max_keys:   # a flood of addresses: keep the newest half
            newest = sorted(self._buckets.items(), key=lambda kv: kv[1][1])[self.max_keys // 2:]
            self._buckets = dict(newest)


class RateLimits:
    """One bucket set per limited route class, plus the global ceiling (one shared bucket)."""

    def __init__(self, per_minute: dict[str, int], global_per_second: int,
                 clock: Callable[[], float] = time.monotonic):
        self.classes = {name: TokenBuckets(n / 60.0, n, clock) for name, n in per_minute.items()}
        self.ceiling = TokenBuckets(float(global_per_second), float(global_per_second), clock)

    def check(self, limit: str | None, client: str) -> int:
        """0 to pass, else Retry-After seconds. The global ceiling is checked first."""
        wait = self.ceiling.take()
        if wait:
            return wait
        if limit is not None and limit in self.classes:
            return self.classes[limit].take(client)
        return 0


    async def acheck(self, limit: str | None, client: str) -> int:
        return self.check(limit, client)


# One bucket per key as a hash {tokens, at}, refilled from the server's clock (every replica sees
# the same time); the key expires once the bucket would be full again.
_TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) / rate))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
"""


class SharedRateLimits(RateLimits):
    """The per-client limits in Redis for every replica; in process while Redis is away."""

    def __init__(self, per_minute: dict[str, int], global_per_second: int, redis_url: str,
                 prefix: str, timeout: float = 0.25, recheck_seconds: float = 2.0,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__(per_minute, global_per_second, clock)
        self.per_minute = per_minute
        self.clock = clock
        self.redis = redis.from_url(redis_url, socket_timeout=timeout,
                                    socket_connect_timeout=timeout)
        self.take = self.redis.register_script(_TAKE)
        self.prefix = f"{prefix}ratelimit:"
        self.recheck_seconds = recheck_seconds
        self._away_until = 0.0   # while Redis is known down, do not wait on it per request
        RATELIMIT_FALLBACK.set(0)

    async def close(self) -> None:
        await self.redis.aclose()

    async def acheck(self, limit: str | None, client: str) -> int:
        wait = self.ceiling.take()
        if wait or limit is None or limit not in self.classes:
            return wait
        if self.clock() >= self._away_until:
            per_minute = self.per_minute[limit]
            try:
                wait = int(await self.take(keys=[f"{self.prefix}{limit}:{client}"],
                                           args=[per_minute / 60.0, per_minute]))
            except (redis.RedisError, OSError) as e:
                self._fall_back(e)
            else:
                if self._away_until:
                    log.info("ratelimit_shared_again")
                    self._away_until = 0.0
                    RATELIMIT_FALLBACK.set(0)
                return wait
        RATELIMIT_FALLBACK_DECISIONS.inc()
        return self.classes[limit].take(client)

    def _fall_back(self, error: Exception) -> None:
        if not self._away_until:
            log.warning("ratelimit_fallback_in_process", error=type(error).__name__)
        self._away_until = self.clock() + self.recheck_seconds
        RATELIMIT_FALLBACK.set(1)
