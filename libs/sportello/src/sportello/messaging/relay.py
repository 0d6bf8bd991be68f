"""The outbox relay: publishes committed outbox rows to RabbitMQ with publisher confirms.

It wakes on LISTEN/NOTIFY (the outbox writer notifies in the same transaction) and polls as a
fallback. Rows are claimed and marked sent in one statement (`FOR UPDATE SKIP LOCKED`) inside a
transaction that stays open while the batch is published and confirmed, and commits only then:
several relays of one service never publish the same row, and a crash or a broker outage before
the commit rolls the mark back, so the rows are published again later (consumers' inboxes make
that harmless).
"""

from __future__ import annotations

import asyncio
import time

import aio_pika
import asyncpg
import structlog
from aio_pika.exceptions import DeliveryError
from pamqp.commands import Basic

from sportello.messaging.outbox import NOTIFY_CHANNEL
from sportello.messaging.topology import declare_exchange
from sportello.observability import EVENTS_PUBLISHED
from sportello.settings import Settings

log = structlog.get_logger()

_CLAIM = """
UPDATE outbox SET published_at = now()
WHERE id IN (SELECT id FROM outbox WHERE published_at IS NULL
             ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING id, seq, event_type, envelope::text AS body, envelope->>'correlation_id' AS cid
"""
_UNMARK = "UPDATE outbox SET published_at = NULL WHERE id = ANY($1::uuid[])"
_PRUNE_OUTBOX = "DELETE FROM outbox WHERE published_at < now() - interval '7 days'"
_PRUNE_INBOX = "DELETE FROM inbox WHERE handled_at < now() - interval '30 days'"


class Relay:
    def __init__(self, service: str, dsn: str, settings: Settings):
        self.service = service
        self.dsn = dsn
        self.settings = settings
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        self._amqp: aio_pika.abc.AbstractConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._last_prune = 0.0
        self.connected = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"relay-{self.service}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self._disconnect()

    def wake(self, *_args) -> None:
        self._wake.set()

    async def _connect(self) -> None:
        self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=2)
        self._listener = await asyncpg.connect(self.dsn)
        await self._listener.add_listener(NOTIFY_CHANNEL, self.wake)
        self._amqp = await aio_pika.connect(self.settings.amqp_url)
        channel = await self._amqp.channel(publisher_confirms=True, on_return_raises=True)
        self._exchange = await declare_exchange(channel, self.settings)
        self.connected.set()
        log.info("relay_connected", service=self.service)

    async def _disconnect(self) -> None:
        self.connected.clear()
        for closer in (
            self._amqp.close() if self._amqp else None,
            self._listener.close() if self._listener else None,
            self._pool.close() if self._pool else None,
        ):
            if closer is not None:
                try:
                    await asyncio.wait_for(closer, 5)
                except Exception:  # already broken: nothing more to release
                    pass
        self._amqp = self._listener = self._pool = None
        self._exchange = None

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            try:
                await self._connect()
                backoff = 0.2
                while True:
                    self._wake.clear()
                    published = await self.publish_pending()
                    if published >= self.settings.relay_batch_size:
                        continue
                    if self._listener is None or self._listener.is_closed():
                        raise ConnectionError("LISTEN connection lost")
                    if self._amqp is None or self._amqp.is_closed:
                        raise ConnectionError("broker connection lost")
                    await self._prune()
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.settings.relay_poll_seconds)
                    except TimeoutError:
                        pass
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("relay_down", service=self.service, error=repr(e), retry_in=backoff)
                await self._disconnect()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows; the number of rows marked sent."""
        assert self._pool is not None
        async with self._pool.acquire() as conn, conn.transaction():
            rows = sorted(await conn.fetch(_CLAIM, self.settings.relay_batch_size),
                          key=lambda r: r["seq"])
            if not rows:
                return 0
            results = await asyncio.gather(*(self._publish(r) for r in rows), return_exceptions=True)
            sent, unsent, failure = [], [], None
            for row, result in zip(rows, results, strict=True):
                if isinstance(result, BaseException):
                    failure = failure or result
                    unsent.append(row["id"])
                else:
                    sent.append(row["id"])
                    EVENTS_PUBLISHED.labels(self.service, row["event_type"]).inc()
            if unsent:  # stays pending: published again on the next round
                await conn.execute(_UNMARK, unsent)
        if failure is not None:
            raise failure
        return len(sent)

    async def _publish(self, row) -> None:
        assert self._exchange is not None
        message = aio_pika.Message(
            row["body"].encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=str(row["id"]),
            type=row["event_type"],
            correlation_id=row["cid"],
            app_id=self.service,
        )
        try:
            await self._exchange.publish(message, routing_key=row["event_type"], mandatory=True)
        except DeliveryError as e:
            if isinstance(e.frame, Basic.Return):
                # Nobody is bound to this event type: nothing to deliver now or later.
                log.warning("event_unroutable", event_type=row["event_type"], event_id=str(row["id"]))
                return
            raise

    async def _prune(self) -> None:
        now = time.monotonic()
        if now - self._last_prune < 3600:
            return
        self._last_prune = now
        assert self._pool is not None
        async with self._pool.acquire() as conn:
            await conn.execute(_PRUNE_OUTBOX)
            await conn.execute(_PRUNE_INBOX)
