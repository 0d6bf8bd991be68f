"""Token buckets per key (client address), in process memory.

In-process buckets are enough at the edge of one gateway replica: with N replicas behind a load
balancer a client gets at most N times the limit, which still stops brute force. A shared store
(Redis) would make the limit exact across replicas at the cost of a round trip per request.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


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
