"""The replicas of each service, taken in turn, with passive health per replica.

Round robin over the replicas whose breaker is closed: the gateway holds keep-alive pools to all
of them, so turns spread load as evenly as the least-loaded choice would at this scale without
sharing counters between gateway replicas. A replica that refused a connection or timed out
`failures` times in a row is skipped for `open_seconds`; after that one request probes it again
(a failure reopens at once, a success closes the breaker).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

log = structlog.get_logger()


@dataclass(eq=False)  # a replica is itself, whatever its counters say
class Upstream:
    base: str
    failures: int = 0
    open_until: float = 0.0


class Replicas:
    def __init__(self, service: str, bases: list[str], failures: int, open_seconds: float,
                 clock: Callable[[], float] = time.monotonic):
        assert bases, f"{service}: no upstream URL"
        self.service = service
        self.upstreams = [Upstream(b.rstrip("/")) for b in bases]
        self.threshold = failures
        self.open_seconds = open_seconds
        self.clock = clock
        self._turn = 0

    def pick(self, exclude: tuple[Upstream, ...] = ()) -> Upstream | None:
        """The next replica in turn whose breaker is closed, None when every one is open."""
        now = self.clock()
        n = len(self.upstreams)
        for i in range(n):
            upstream = self.upstreams[(self._turn + i) % n]
            if upstream.open_until <= now and upstream not in exclude:
                self._turn = (self._turn + i + 1) % n
                return upstream
        return None

    def retry_after(self) -> int:
        """Seconds until the first open breaker lets a request through again (≥ 1)."""
        soonest = min(u.open_until for u in self.upstreams)
        return max(1, math.ceil(soonest - self.clock()))

    def failed(self, upstream: Upstream, why: str) -> None:
        upstream.failures += 1
        if upstream.failures >= self.threshold:
            upstream.open_until = self.clock() + self.open_seconds
            log.warning("upstream_skipped", service=self.service, upstream=upstream.base,
                        reason=why, seconds=self.open_seconds)

    @staticmethod
    def succeeded(upstream: Upstream) -> None:
        upstream.failures = 0
