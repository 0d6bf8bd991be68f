"""The in-process cache of rendered hot reads, valid for exactly one catalog revision.

Every catalog write bumps `catalog_revision` and NOTIFYs its new value in the same transaction
(repository.bump_revision). Each replica LISTENs: a notification drops its whole cache. A
rendering is stored only under the revision that was current when it started, and every
transaction that starts after revision R was announced sees R's data, so a cached body is never
older than the revision it is served under. While the LISTEN connection is down the cache is
off (every read goes to the database): a missed notification cannot leave stale data behind.
A periodic revision check on the same connection covers the unlikely lost notification and
notices a dead connection. The listening, reconnecting loop is `sportello.worker.NotifiedLoop`.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

import structlog
from sportello.worker import NotifiedLoop

from sportello_catalog.repository import NOTIFY_CHANNEL

log = structlog.get_logger()

_REVISION = "SELECT revision FROM catalog_revision WHERE id = 1"
APPLICATION_NAME = "sportello-catalog-cache"  # how its connection shows in pg_stat_activity


@dataclass(frozen=True, slots=True)
class Entry:
    body: bytes
    etag: str


def entry(body: bytes) -> Entry:
    return Entry(body, '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"')


class RenderedCache(NotifiedLoop):
    channel = NOTIFY_CHANNEL
    application_name = APPLICATION_NAME

    def __init__(self, dsn: str, *, max_entries: int = 20_000, check_seconds: float = 5.0):
        super().__init__("catalog-cache-listener", dsn)
        self.max_entries = max_entries
        self.check_seconds = check_seconds
        self.revision = -1
        self.live = False
        self._entries: dict[tuple, Entry] = {}

    # --- the hot path: plain dict operations, no await ---

    def get(self, key: tuple) -> Entry | None:
        return self._entries.get(key) if self.live else None

    def put(self, key: tuple, revision: int, value: Entry) -> None:
        # Bounded: the keys come from URLs, so a crawler of made-up pages must not grow it forever.
        if self.live and revision == self.revision and len(self._entries) < self.max_entries:
            self._entries[key] = value

    def advance(self, revision: int) -> None:
        """A newer catalog revision is committed: everything rendered before it is dropped."""
        if revision > self.revision:
            self.revision = revision
            self._entries.clear()

    # --- the listener (NotifiedLoop) ---

    def wake(self, _conn=None, _pid=None, _channel=None, payload: str = "") -> None:
        # Dropped in the notification's own callback: no request is served from the old revision.
        try:
            self.advance(int(payload))
        except ValueError:  # not ours: be safe
            self._entries.clear()
        super().wake()

    def on_down(self) -> None:
        if self.live:
            log.warning("catalog_cache_off", revision=self.revision)
        self.live = False
        self._entries.clear()

    async def work(self) -> int:
        # Listening already (the loop listens before it works): a write committed in between is
        # seen by the notification or by this read.
        self.advance(await asyncio.wait_for(self.listener.fetchval(_REVISION), 5))
        if not self.live:
            self.live = True
            log.info("catalog_cache_live", revision=self.revision)
        return 0

    async def idle_seconds(self) -> float:
        return self.check_seconds
