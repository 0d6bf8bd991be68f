"""The outbox relay: publishes committed outbox rows to RabbitMQ with publisher confirms.

It wakes on LISTEN/NOTIFY (the outbox writer notifies in the same transaction) and polls as a
fallback (the loop is `sportello.worker.NotifiedLoop`). Rows are claimed and marked sent in one
statement (`FOR UPDATE SKIP LOCKED`) inside a transaction that stays open while the batch is
published and confirmed, and commits only then: several relays of one service never publish the
same row, and a crash or a broker outage before the commit rolls the mark back, so the rows are
published again later (consumers' inboxes make that harmless). A row the broker refuses while
the connection is fine counts an attempt; after `relay_max_attempts` it is parked with its error
(`sportello outbox list|retry SERVICE`) and the relay goes on with the others.
"""

from __future__ import annotations

import asyncio

import aio_pika
import structlog
from aio_pika.exceptions import AMQPConnectionError, ChannelInvalidStateError, DeliveryError
from aiormq.exceptions import ChannelClosed
from pamqp.commands import Basic
from prometheus_client import Gauge

from sportello.db import raw_pool
from sportello.messaging.outbox import NOTIFY_CHANNEL
from sportello.messaging.topology import declare_exchange
from sportello.observability import EVENTS_PUBLISHED
from sportello.settings import Settings
from sportello.worker import NotifiedLoop

log = structlog.get_logger()

OUTBOX_PARKED = Gauge("sportello_outbox_parked", "Outbox rows parked after failed publishes",
                      ["service"])

_CLAIM = """
UPDATE outbox SET published_at = now()
WHERE id IN (SELECT id FROM outbox WHERE published_at IS NULL AND parked_at IS NULL
             ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING id, seq, event_type, envelope::text AS body, envelope->>'correlation_id' AS cid,
          attempts
"""
_UNMARK = "UPDATE outbox SET published_at = NULL WHERE id = ANY($1::uuid[])"
# One refused publish: count it, keep the error, park the row once it has had its tries.
_REFUSED = """
UPDATE outbox SET published_at = NULL, attempts = attempts + 1, last_error = $2,
       parked_at = CASE WHEN attempts + 1 >= $3 THEN now() END
WHERE id = $1 RETURNING parked_at IS NOT NULL AS parked
"""
_COUNT_PARKED = "SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL"
_PRUNE_OUTBOX = "DELETE FROM outbox WHERE published_at < now() - interval '7 days'"
_PRUNE_INBOX = "DELETE FROM inbox WHERE handled_at < now() - interval '30 days'"
# These say the connection or channel is gone (every row would fail alike): reconnect, count nothing.
_CONNECTION_ERRORS = (ConnectionError, AMQPConnectionError, ChannelInvalidStateError, ChannelClosed,
                      TimeoutError)


class Relay(NotifiedLoop):
    channel = NOTIFY_CHANNEL
    housekeeping_seconds = 60.0

    def __init__(self, service: str, dsn: str, settings: Settings):
        super().__init__(f"relay-{service}", dsn)
        self.service = service
        self.settings = settings
        self.batch_size = settings.relay_batch_size
        self._pool = None
        self._amqp: aio_pika.abc.AbstractConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._channel = None  # the exchange's aiormq channel: publishes skip aio-pika's Message
        self._pruned = 0

    async def connect(self) -> None:
        # No reset on release: a claim leaves no session state, and the reset is a round trip.
        self._pool = await raw_pool(self.dsn, max_size=2)
        self._amqp = await aio_pika.connect(self.settings.amqp_url)
        channel = await self._amqp.channel(publisher_confirms=True, on_return_raises=True)
        self._exchange = await declare_exchange(channel, self.settings)
        self._channel = await channel.get_underlay_channel()

    async def disconnect(self) -> None:
        for closer in (self._amqp.close() if self._amqp else None,
                       self._pool.close() if self._pool else None):
            if closer is not None:
                try:
                    await asyncio.wait_for(closer, 5)
                except Exception:  # already broken: nothing more to release
                    pass
        self._amqp = self._pool = None
        self._exchange = self._channel = None

    async def healthy(self) -> None:
        if self._amqp is None or self._amqp.is_closed:
            raise ConnectionError("broker connection lost")

    async def idle_seconds(self) -> float:
        return self.settings.relay_poll_seconds

    async def work(self) -> int:
        return await self.publish_pending()

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows; how many rows were taken (sent, refused or parked)."""
        assert self._pool is not None
        async with self._pool.acquire() as conn, conn.transaction():
            rows = sorted(await conn.fetch(_CLAIM, self.settings.relay_batch_size),
                          key=lambda r: r["seq"])
            if not rows:
                return 0
            results = await asyncio.gather(*(self._publish(r) for r in rows), return_exceptions=True)
            lost = next((r for r in results if isinstance(r, _CONNECTION_ERRORS)), None)
            if lost is None and self._amqp is not None and self._amqp.is_closed:
                lost = ConnectionError("broker connection lost")
            if lost is not None:
                # Not the rows' fault: all of them stay pending, uncounted, for the next connection.
                raise lost
            for row, result in zip(rows, results, strict=True):
                if isinstance(result, BaseException):
                    error = f"{type(result).__name__}: {result}"[:2000]
                    parked = await conn.fetchval(_REFUSED, row["id"], error,
                                                 self.settings.relay_max_attempts)
                    (log.error if parked else log.warning)(
                        "event_parked" if parked else "event_publish_refused",
                        service=self.service, event_type=row["event_type"],
                        event_id=str(row["id"]), attempts=row["attempts"] + 1, error=error)
                    if parked:
                        OUTBOX_PARKED.labels(self.service).inc()
                else:
                    EVENTS_PUBLISHED.labels(self.service, row["event_type"]).inc()
        return len(rows)

    async def _publish(self, row) -> None:
        assert self._exchange is not None and self._channel is not None
        properties = Basic.Properties(
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT.value,
            message_id=str(row["id"]),
            message_type=row["event_type"],
            correlation_id=row["cid"],
            app_id=self.service,
        )
        try:
            # aiormq directly: aio-pika's Message and Exchange wrappers were most of the relay's CPU.
            await self._channel.basic_publish(
                row["body"].encode(), exchange=self._exchange.name, routing_key=row["event_type"],
                properties=properties, mandatory=True)
        except DeliveryError as e:
            if isinstance(e.frame, Basic.Return):
                # Nobody is bound to this event type: nothing to deliver now or later.
                log.warning("event_unroutable", event_type=row["event_type"], event_id=str(row["id"]))
                return
            raise

    async def housekeeping(self) -> None:
        assert self._pool is not None
        async with self._pool.acquire() as conn:
            OUTBOX_PARKED.labels(self.service).set(await conn.fetchval(_COUNT_PARKED))
            self._pruned += 1
            if self._pruned % 60 == 1:  # hourly
                await conn.execute(_PRUNE_OUTBOX)
                await conn.execute(_PRUNE_INBOX)
