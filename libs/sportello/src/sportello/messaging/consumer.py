"""The consumer: one durable queue per service, an inbox row per handled event, ack after commit.

A handler is `async def handler(session, event: Envelope) -> None`. It runs inside a transaction
that also inserts the event id into the inbox; if the id is already there the event was handled
before and the handler is not called. The message is acknowledged only after that transaction
commits, so a crash before the ack means a redelivery that the inbox turns into a no-op.

A handler that raises is retried after `retry_delays` (through the delay queues of topology.py);
after the last retry the message is parked in `<queue>.dead` with the error in its headers.
Either way the original is acknowledged only once its copy is safely on the broker.

Deliveries are handled in batches (up to `consumer_prefetch`, gathered for `consumer_batch_ms`): one
transaction, one multi-row inbox INSERT, every handler, one commit, then one ack for the batch. If a
handler raises, that transaction is rolled back and the batch runs again with a SAVEPOINT per
handler (the failing one is rolled back and its inbox row removed, so it alone is retried or
parked). Handlers touch only their session, so a rolled-back first run leaves no effect.

Every delivery is settled by the one batch loop, in the order it arrived: that is what lets one ack
with `multiple` cover a whole batch (never on a channel where an earlier delivery was left unsettled).
"""

from __future__ import annotations

import asyncio
import traceback
import weakref
from collections.abc import Awaitable, Callable

import aio_pika
import structlog
from aio_pika.abc import AbstractIncomingMessage
from prometheus_client import Gauge
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sportello.contracts.envelope import Envelope
from sportello.messaging.topology import (
    QUORUM,
    dead_queue_name,
    declare_service_queues,
    persistent_copy,
    retry_queue_name,
)
from sportello.observability import EVENTS_HANDLED, correlation_id
from sportello.settings import Settings

log = structlog.get_logger()

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]

ATTEMPT_HEADER = "x-sportello-attempt"
DEAD_LETTERS = Gauge("sportello_dead_letters", "Messages parked in the service's dead queue",
                     ["service"])
DEAD_LETTERS_EVERY_SECONDS = 30.0
_INBOX_MANY = text(
    "INSERT INTO inbox (event_id, event_type) "
    "SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[])) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
_UNINBOX = text("DELETE FROM inbox WHERE event_id = ANY(CAST(:ids AS uuid[]))")
_INBOX = text(
    "INSERT INTO inbox (event_id, event_type) VALUES (:id, :type) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)


class HandlerFailed(Exception):
    """A handler raised in a batch run without savepoints: the whole transaction rolls back."""

    def __init__(self, error: Exception):
        super().__init__(repr(error))
        self.error = error


class Consumer:
    def __init__(
        self,
        service: str,
        handlers: dict[str, Handler],
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
    ):
        self.service = service
        self.handlers = handlers
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.queue_name = settings.queue_name(service)
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._channel: aio_pika.abc.AbstractChannel | None = None
        self._counting: asyncio.Task | None = None
        self._pending: asyncio.Queue | None = None
        self._batching: asyncio.Task | None = None
        # Channels on which a delivery was left unacked for redelivery: no ack there may cover it.
        self._unsettled_on: weakref.WeakSet = weakref.WeakSet()

    async def start(self) -> None:
        # The robust connection reconnects by itself and re-declares queues and consumers.
        self._connection = await aio_pika.connect_robust(self.settings.amqp_url)
        self._channel = await self._connection.channel(publisher_confirms=True)
        await self._channel.set_qos(prefetch_count=self.settings.consumer_prefetch)
        queue = await declare_service_queues(
            self._channel, self.settings, self.service, list(self.handlers)
        )
        self._pending = asyncio.Queue()
        self._batching = asyncio.create_task(self._run_batches())
        await queue.consume(self.on_message)
        self._counting = asyncio.create_task(self._count_dead_letters())
        log.info("consumer_started", service=self.service, queue=self.queue_name)

    async def _count_dead_letters(self) -> None:
        """Keep `sportello_dead_letters` current (retry them: `sportello dead-letters`)."""
        while True:
            try:
                assert self._connection is not None
                channel = await self._connection.channel()
                try:
                    dead = await channel.declare_queue(dead_queue_name(self.queue_name), durable=True,
                                                      arguments=QUORUM)
                    DEAD_LETTERS.labels(self.service).set(dead.declaration_result.message_count)
                finally:
                    await channel.close()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the broker is away: the count waits for it
                log.debug("dead_letters_uncounted", error=repr(e))
            await asyncio.sleep(DEAD_LETTERS_EVERY_SECONDS)

    async def stop(self) -> None:
        if self._batching is not None:
            # Unacknowledged deliveries go back to the queue when the connection closes.
            self._batching.cancel()
            self._batching = None
        if self._counting is not None:
            self._counting.cancel()
            self._counting = None
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        # No await before the queue: deliveries reach the batch loop in the order they arrived.
        assert self._pending is not None
        self._pending.put_nowait(message)

    async def _run_batches(self) -> None:
        assert self._pending is not None
        size = max(1, self.settings.consumer_prefetch)
        loop = asyncio.get_running_loop()
        while True:
            messages = [await self._pending.get()]
            deadline = loop.time() + self.settings.consumer_batch_ms / 1000
            while len(messages) < size:
                if not self._pending.empty():
                    messages.append(self._pending.get_nowait())
                    continue
                left = deadline - loop.time()
                if left <= 0:
                    break
                try:
                    messages.append(await asyncio.wait_for(self._pending.get(), left))
                except TimeoutError:
                    break
            try:
                batch = await self._events_of(messages)
                if batch:
                    await self.handle_batch(batch)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the broker or database is away: unacked ones come back
                self._unsettled_on.update(m.channel for m in messages)
                log.warning("event_batch_failed", size=len(messages), error=repr(e))

    async def _events_of(self, messages: list[AbstractIncomingMessage]) -> list:
        """(message, envelope, handler) for each delivery that has a handler; the rest settled now."""
        batch = []
        for message in messages:
            try:
                envelope = Envelope.model_validate_json(message.body)
            except ValidationError as e:
                # Not an event at all: retrying cannot help.
                await self._park(message, "InvalidEnvelope", str(e))
                continue
            handler = self.handlers.get(envelope.type)
            if handler is None:
                log.warning("event_without_handler", event_type=envelope.type)
                await message.ack()
                continue
            batch.append((message, envelope, handler))
        return batch

    async def handle_batch(self, batch: list) -> None:
        """Handle deliveries in one transaction; ack after the commit; failures retried or parked."""
        try:
            outcome = await self._in_one_transaction(batch, isolate=False)
        except HandlerFailed as failed:
            if len(batch) == 1:
                outcome = {0: failed.error}
            else:
                # Rolled back: again with a savepoint per handler, so the failing one fails alone.
                try:
                    outcome = await self._in_one_transaction(batch, isolate=True)
                except Exception:
                    return await self._one_by_one(batch)
        except Exception as e:
            if len(batch) == 1:
                outcome = {0: e}
            else:
                # The batch itself failed (not one handler): each one on its own decides.
                return await self._one_by_one(batch)
        handled = []
        for i, (message, envelope, _) in enumerate(batch):
            result = outcome[i]
            if isinstance(result, Exception):
                EVENTS_HANDLED.labels(self.service, envelope.type, "error").inc()
                log.warning("event_failed", event_type=envelope.type, event_id=str(envelope.id),
                            error=repr(result))
                await self._retry_or_park(message, result)
            else:
                EVENTS_HANDLED.labels(self.service, envelope.type,
                                      "handled" if result else "duplicate").inc()
                handled.append(message)
        await self._ack(handled)

    async def _one_by_one(self, batch: list) -> None:
        for item in batch:
            await self.handle_batch([item])

    async def _in_one_transaction(self, batch: list, isolate: bool) -> dict[int, Exception | bool]:
        """index → True (handled), False (already handled before) or the handler's error."""
        outcome: dict[int, Exception | bool] = {}
        async with self.sessionmaker() as session, session.begin():
            fresh = set((await session.execute(_INBOX_MANY, {
                "ids": [e.id for _, e, _ in batch], "types": [e.type for _, e, _ in batch],
            })).scalars())
            failed = []
            for i, (_, envelope, handler) in enumerate(batch):
                if envelope.id not in fresh:
                    outcome[i] = False
                    continue
                fresh.discard(envelope.id)  # the same event twice in one batch runs once
                token = correlation_id.set(envelope.correlation_id)
                try:
                    if isolate:
                        async with session.begin_nested():
                            await handler(session, envelope)
                    else:
                        await handler(session, envelope)
                    outcome[i] = True
                except Exception as e:
                    if not isolate:
                        raise HandlerFailed(e) from e
                    outcome[i] = e
                    failed.append(envelope.id)
                finally:
                    correlation_id.reset(token)
            if failed:
                # Their inbox rows go with them, so a retry finds the event new.
                await session.execute(_UNINBOX, {"ids": failed})
        return outcome

    async def _ack(self, messages: list[AbstractIncomingMessage]) -> None:
        """One ack for the batch when every earlier delivery on its channel is settled."""
        if not messages:
            return
        channel = messages[0].channel
        if all(m.channel is channel for m in messages) and channel not in self._unsettled_on:
            # The loop settles deliveries in order, so every tag up to the last is ours to ack.
            await max(messages, key=lambda m: m.delivery_tag).ack(multiple=True)
            return
        for message in messages:
            await message.ack()

    async def handle(self, handler: Handler, envelope: Envelope) -> bool:
        """Run the handler once per event id. False when the inbox says it already ran."""
        async with self.sessionmaker() as session, session.begin():
            first = await session.execute(_INBOX, {"id": envelope.id, "type": envelope.type})
            if first.first() is None:
                return False
            await handler(session, envelope)
        return True

    async def _retry_or_park(self, message: AbstractIncomingMessage, error: Exception) -> None:
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0))
        if attempt < len(self.settings.retry_delays):
            await self._republish(message, retry_queue_name(self.queue_name, attempt),
                                  {ATTEMPT_HEADER: attempt + 1})
        else:
            await self._park(message, type(error).__name__, "".join(
                traceback.format_exception_only(type(error), error)).strip())

    async def _park(self, message: AbstractIncomingMessage, error_type: str, error: str) -> None:
        log.error("event_parked", queue=dead_queue_name(self.queue_name), error_type=error_type,
                  message_id=message.message_id)
        DEAD_LETTERS.labels(self.service).inc()
        await self._republish(message, dead_queue_name(self.queue_name),
                              {"x-error-type": error_type, "x-error": error[:2000]})

    async def _republish(self, message: AbstractIncomingMessage, queue: str, headers: dict) -> None:
        assert self._channel is not None
        copy = persistent_copy(message, headers)
        await self._channel.default_exchange.publish(copy, routing_key=queue)
        await message.ack()
