"""The in-process cache of rendered hot reads, valid for exactly one catalog revision.

Every catalog write bumps `catalog_revision` and NOTIFYs its new value in the same transaction
(repository.bump_revision). Each replica LISTENs: a notification drops its whole cache. A
rendering is stored only under the revision that was current when it started, and every
transaction that starts after revision R was announced sees R's data, so a cached body is never
older than the revision it is served under. While the LISTEN connection is down the cache is
off (every read goes to the database): a missed notification cannot leave stale data behind.
A periodic revision check on the same connection covers the unlikely lost notification and
notices a dead connection.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

import asyncpg
import structlog

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


class RenderedCache:
    def __init__(self, dsn: str, *, max_entries: int = 20_000, check_seconds: float = 5.0):
        self.dsn = dsn
        self.max_entries = max_entries
        self.check_seconds = check_seconds
        self.revision = -1
        self.live = False
        self._entries: dict[tuple, Entry] = {}
        self._task: asyncio.Task | None = None
        self._was_live = False

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

    # --- the listener ---

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="catalog-cache-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._off()

    def _off(self) -> None:
        self.live = False
        self._entries.clear()

    def _on_notify(self, _conn, _pid, _channel, payload: str) -> None:
        try:
            self.advance(int(payload))
        except ValueError:  # not ours: be safe
            self._entries.clear()

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self._off()
                log.warning("catalog_cache_off", error=repr(e), retry_in=backoff)
                await asyncio.sleep(backoff)
                # A connection that was serving is retried at once; a server that stays down, less often.
                backoff = 0.2 if self._was_live else min(backoff * 2, 5.0)
            finally:
                self._off()

    async def _listen(self) -> None:
        """One LISTEN connection's life: serve the cache while it lives, raise when it dies."""
        lost = asyncio.Event()
        self._was_live = False
        conn = await asyncpg.connect(self.dsn, server_settings={"application_name": APPLICATION_NAME})
        try:
            # The moment the connection dies, notifications may be missed: stop serving the cache.
            conn.add_termination_listener(lambda _conn: (self._off(), lost.set()))
            # Listen first, then read: a write committed in between is seen by one of the two.
            await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
            self.advance(await conn.fetchval(_REVISION))
            self.live = self._was_live = True
            log.info("catalog_cache_live", revision=self.revision)
            while True:
                try:
                    await asyncio.wait_for(lost.wait(), self.check_seconds)
                    raise ConnectionError("LISTEN connection lost")
                except TimeoutError:
                    self.advance(await asyncio.wait_for(conn.fetchval(_REVISION), 5))
        finally:
            if not conn.is_closed():
                conn.terminate()
