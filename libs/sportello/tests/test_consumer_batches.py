"""The consumer's batches on the real PostgreSQL and RabbitMQ: one effect per event, poison alone."""

from __future__ import annotations

import asyncio
import uuid

import aio_pika
from msgsvc import CALLS, EVENT, effects, make_service, take_parked
from sportello.contracts.events import ServiceRetired
from sportello.messaging.consumer import Consumer
from sportello.testing import publish_event, running_service, wait_for


class Recording(Consumer):
    """Notes the size of each batch, so a test knows its events really shared one transaction."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sizes: list[int] = []

    async def handle_batch(self, batch):
        self.sizes.append(len(batch))
        await super().handle_batch(batch)


class _NoAck:
    """A delivery whose ack never reaches the broker: the process dies right after the commit."""

    def __init__(self, message, consumer):
        self._message, self._consumer = message, consumer

    def __getattr__(self, name):
        return getattr(self._message, name)

    async def ack(self, *args, **kwargs):
        if self._consumer._connection is not None:
            await self._consumer._connection.close()
        DiesBeforeAck.died.set()


class DiesBeforeAck(Recording):
    died = asyncio.Event()

    async def handle_batch(self, batch):
        await super().handle_batch([(_NoAck(m, self), e, h) for m, e, h in batch])


async def _queued(settings, service_name, n):
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        q = await channel.declare_queue(settings.queue_name(service_name), passive=True)
        return q.declaration_result.message_count == n


async def _publish_batch(settings, service_name, slugs):
    for slug in slugs:
        await publish_event(settings, EVENT, ServiceRetired(slug=slug, version=1))
    await wait_for(lambda: _queued(settings, service_name, len(slugs)), message="all queued")


async def test_a_poison_message_in_a_batch_is_parked_alone_and_the_others_commit(
    lib_settings, service_name
):
    service = make_service(service_name)
    async with running_service(service, lib_settings) as client:
        await client.app.state.consumer.stop()
        dup = uuid.uuid4()
        for slug, event_id in ((f"{service_name}-a", dup), (f"{service_name}-a", dup)):
            await publish_event(lib_settings, EVENT, ServiceRetired(slug=slug, version=1),
                                event_id=event_id)
        slugs = [f"{service_name}-b", f"fail-{service_name}-mid", f"{service_name}-c"]
        for slug in slugs:
            await publish_event(lib_settings, EVENT, ServiceRetired(slug=slug, version=1))
        await wait_for(lambda: _queued(lib_settings, service_name, 5), message="all queued")

        settings = lib_settings.model_copy(update={"consumer_batch_ms": 300.0})
        consumer = Recording(service_name, service.handlers, client.app.state.sessionmaker, settings)
        await consumer.start()
        try:
            await wait_for(lambda: _len_is(effects(client), 3))
            assert consumer.sizes[0] == 5  # all five in one transaction
            assert await effects(client) == [f"{service_name}-a", f"{service_name}-b",
                                             f"{service_name}-c"]
            # Run once in the batch that the poison message rolled back, once with savepoints;
            # its copy in the same batch never ran, and each effect is there once.
            assert CALLS[f"{service_name}-a"] == 2

            parked = await take_parked(lib_settings, service_name, "the poison message parked")
            # Failed in both runs of its batch, retried on its own (its inbox row went with its
            # savepoint), then parked.
            assert CALLS[f"fail-{service_name}-mid"] == 2 + len(lib_settings.retry_delays)
            assert f"cannot handle fail-{service_name}-mid" in parked.headers["x-error"]
        finally:
            await consumer.stop()


async def test_a_batch_committed_but_not_acked_is_redelivered_and_not_applied_twice(
    lib_settings, service_name
):
    service = make_service(service_name)
    async with running_service(service, lib_settings) as client:
        await client.app.state.consumer.stop()
        slugs = [f"{service_name}-once-{i}" for i in range(4)]
        await _publish_batch(lib_settings, service_name, slugs)

        settings = lib_settings.model_copy(update={"consumer_batch_ms": 300.0})
        dying = DiesBeforeAck(service_name, service.handlers, client.app.state.sessionmaker, settings)
        await dying.start()
        await asyncio.wait_for(DiesBeforeAck.died.wait(), 10)
        await dying.stop()
        assert dying.sizes[0] == 4
        assert await effects(client) == sorted(slugs)

        # The connection closed before any ack: the broker hands the whole batch out again.
        survivor = Recording(service_name, service.handlers, client.app.state.sessionmaker, settings)
        await survivor.start()
        try:
            await wait_for(lambda: _queued(lib_settings, service_name, 0), message="redelivered")
            await wait_for(lambda: sum(survivor.sizes) == 4, message="the batch handled again")
            assert all(CALLS[s] == 1 for s in slugs)  # the inbox stopped every second run
            assert await effects(client) == sorted(slugs)
        finally:
            await survivor.stop()


async def _len_is(coro, n):
    return len(await coro) == n


async def _publish_raw(settings, routing_key: str, body: bytes) -> None:
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC,
                                                  durable=True)
        await exchange.publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                               routing_key=routing_key)


async def test_one_ack_settles_a_mixed_batch_and_nothing_comes_back(lib_settings, service_name):
    """A non-event (parked), good events and a duplicate in one batch: after the consumer stops,
    the queue holds nothing, so every delivery was acked, none was lost and none is redelivered."""
    service = make_service(service_name)
    async with running_service(service, lib_settings) as client:
        await client.app.state.consumer.stop()
        first = f"{service_name}-first"
        await publish_event(lib_settings, EVENT, ServiceRetired(slug=first, version=1))
        await _publish_raw(lib_settings, EVENT, b"{not an event")
        dup = uuid.uuid4()
        for _ in range(2):
            await publish_event(lib_settings, EVENT,
                                ServiceRetired(slug=f"{service_name}-last", version=1), event_id=dup)
        await wait_for(lambda: _queued(lib_settings, service_name, 4), message="all queued")

        settings = lib_settings.model_copy(update={"consumer_batch_ms": 300.0})
        consumer = Recording(service_name, service.handlers, client.app.state.sessionmaker, settings)
        await consumer.start()
        try:
            await wait_for(lambda: _len_is(effects(client), 2))
            assert consumer.sizes == [3]  # the non-event never reached a transaction
        finally:
            await consumer.stop()
        # Closing the connection returns every unacked delivery to the queue: there is none.
        assert await _queued(lib_settings, service_name, 0)
        assert await effects(client) == [first, f"{service_name}-last"]
        assert CALLS[f"{service_name}-last"] == 1

        parked = await take_parked(lib_settings, service_name, "the non-event parked")
        assert parked.body == b"{not an event"
        assert parked.headers["x-error-type"] == "InvalidEnvelope"
