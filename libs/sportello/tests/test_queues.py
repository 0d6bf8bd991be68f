"""Quorum queues on the real RabbitMQ: what `sportello migrate` declares, the delivery limit that
parks a message killing its consumer, and the move from classic queues that loses nothing."""

from __future__ import annotations

import asyncio
import subprocess

import aio_pika
import aiormq
import pytest
from msgsvc import CALLS, EVENT, effects, make_service
from sportello.contracts.events import ServiceRetired
from sportello.messaging.consumer import Consumer
from sportello.messaging.requeue import ConsumersStillRunning, migrate_queues, queues_to_migrate
from sportello.messaging.topology import declare_all
from sportello.testing import publish_event, running_service, wait_for


def queue_types(prefix: str) -> dict[str, str]:
    """name → type of this run's queues, as the operator's `rabbitmqctl list_queues` shows them."""
    out = subprocess.run(["rabbitmqctl", "-q", "list_queues", "name", "type", "--no-table-headers"],
                         capture_output=True, text=True, check=True).stdout
    rows = (line.split("\t") for line in out.splitlines() if line.startswith(prefix))
    return {name: kind.strip() for name, kind in rows}


async def test_every_queue_of_a_consuming_service_is_a_quorum_queue(lib_settings, service_name):
    await declare_all(lib_settings, {service_name: [EVENT]})
    base = lib_settings.queue_name(service_name)
    names = [base, f"{base}.dead"] + [f"{base}.retry.{i}"
                                       for i in range(len(lib_settings.retry_delays))]
    assert queue_types(base) == {name: "quorum" for name in names}
    assert await queues_to_migrate(lib_settings, {service_name: [EVENT]}) == []


class DiesOnEveryDelivery(Consumer):
    """A consumer killed (connection gone, no ack) by every delivery of a poison message."""

    deliveries = 0

    async def on_message(self, message):
        DiesOnEveryDelivery.deliveries += 1
        # Closed from outside the delivery callback (closing inside it waits for the callback).
        self.death = asyncio.get_running_loop().create_task(self._connection.close())


async def test_a_message_that_keeps_killing_its_consumer_is_parked_at_the_delivery_limit(
    lib_settings, service_name
):
    settings = lib_settings.model_copy(update={"queue_delivery_limit": 3})
    service = make_service(service_name)
    await declare_all(settings, {service_name: [EVENT]})
    await publish_event(settings, EVENT, ServiceRetired(slug=f"{service_name}-poison", version=1))
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        dead = await channel.declare_queue(f"{settings.queue_name(service_name)}.dead", passive=True)

        async def parked_count() -> int:
            probe = await connection.channel()
            queue = await probe.declare_queue(dead.name, passive=True)
            await probe.close()
            return queue.declaration_result.message_count

        async def crash_once_or_parked() -> bool:
            killer = DiesOnEveryDelivery(service_name, service.handlers, None, settings)
            delivered = DiesOnEveryDelivery.deliveries
            await killer.start()
            # Either this consumer dies of the message, or the broker has parked it already.
            await wait_for(lambda: DiesOnEveryDelivery.deliveries > delivered or parked_count(),
                           message="a crash or a parked message")
            if DiesOnEveryDelivery.deliveries > delivered:
                await wait_for(lambda: not killer.connected, message="the consumer gone")
            await killer.stop()
            return bool(await parked_count())

        for _ in range(settings.queue_delivery_limit + 2):
            if await crash_once_or_parked():
                break
        parked = await dead.get()
        await parked.ack()
    assert DiesOnEveryDelivery.deliveries == settings.queue_delivery_limit + 1


async def declare_classic(settings, service: str) -> None:
    """The topology as it was before quorum queues: classic queues, same names and bindings."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC,
                                                  durable=True)
        name = settings.queue_name(service)
        queue = await channel.declare_queue(name, durable=True)
        await queue.bind(exchange, routing_key=EVENT)
        for step, delay in enumerate(settings.retry_delays):
            await channel.declare_queue(f"{name}.retry.{step}", durable=True, arguments={
                "x-message-ttl": int(delay * 1000) * 100,  # long: it must still wait when moved
                "x-dead-letter-exchange": "", "x-dead-letter-routing-key": name})
        await channel.declare_queue(f"{name}.dead", durable=True)


async def put(settings, queue: str, slug: str, headers: dict | None = None) -> None:
    from sportello.contracts.envelope import Envelope

    envelope = Envelope(type=EVENT, producer="test",
                        data=ServiceRetired(slug=slug, version=1).model_dump(mode="json"))
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.default_exchange.publish(aio_pika.Message(
            envelope.model_dump_json().encode(), headers=headers or {}, message_id=str(envelope.id),
            type=EVENT, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=queue)


async def test_classic_queues_move_to_quorum_with_every_waiting_message_handled_once(
    lib_settings, service_name
):
    consumers = {service_name: [EVENT]}
    base = lib_settings.queue_name(service_name)
    await declare_classic(lib_settings, service_name)
    waiting = [f"{service_name}-w{i:03d}" for i in range(60)]
    for slug in waiting:
        await publish_event(lib_settings, EVENT, ServiceRetired(slug=slug, version=1))
    await put(lib_settings, f"{base}.retry.1", f"{service_name}-retrying",
              {"x-sportello-attempt": 2})
    await put(lib_settings, f"{base}.dead", f"fail-{service_name}-parked",
              {"x-error-type": "RuntimeError"})
    assert set(queue_types(base).values()) == {"classic"}
    assert len(await queues_to_migrate(lib_settings, consumers)) == 4

    # Producers keep publishing while the queues move.
    during = [f"{service_name}-d{i:03d}" for i in range(40)]

    async def keep_publishing():
        for slug in during:
            await publish_event(lib_settings, EVENT, ServiceRetired(slug=slug, version=1))

    report, _ = await asyncio.gather(migrate_queues(lib_settings, consumers), keep_publishing())
    assert report[service_name] >= len(waiting) + 2
    assert queue_types(base) == {base: "quorum", f"{base}.dead": "quorum",
                                 f"{base}.retry.0": "quorum", f"{base}.retry.1": "quorum"}
    assert await queues_to_migrate(lib_settings, consumers) == []
    assert await migrate_queues(lib_settings, consumers) == {}  # a second run has nothing to do

    async with running_service(make_service(service_name), lib_settings) as client:
        expected = sorted([*waiting, *during, f"{service_name}-retrying"])

        async def all_handled():
            return await effects(client) == expected

        await wait_for(all_handled, timeout=30, message=f"{len(expected)} effects")
        assert all(CALLS[slug] == 1 for slug in expected)
        connection = await aio_pika.connect(lib_settings.amqp_url)
        async with connection:
            channel = await connection.channel()
            dead = await channel.declare_queue(f"{base}.dead", passive=True)
            parked = await dead.get()
            assert parked.headers["x-error-type"] == "RuntimeError"
            await parked.ack()
            assert await dead.get(fail=False) is None
            with pytest.raises(aiormq.exceptions.ChannelNotFoundEntity):
                await channel.declare_queue(f"{base}.migrating", passive=True)


async def test_the_move_refuses_while_consumers_still_read_the_old_queue(lib_settings, service_name):
    await declare_classic(lib_settings, service_name)
    connection = await aio_pika.connect(lib_settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(lib_settings.queue_name(service_name), passive=True)
        async def still_reading(message) -> None:
            pass

        await queue.consume(still_reading)
        with pytest.raises(ConsumersStillRunning):
            await migrate_queues(lib_settings, {service_name: [EVENT]})


def sportello(settings, *argv: str) -> subprocess.CompletedProcess:
    """The operator's command against this run's settings, as a child process."""
    import os
    import sys

    from sportello.testing.processes import settings_env

    return subprocess.run([sys.executable, "-m", "sportello.cli", *argv],
                          env={**os.environ, **settings_env(settings)}, capture_output=True,
                          text=True, timeout=180)


async def test_migrate_refuses_classic_queues_and_the_operator_command_moves_them(settings):
    # The installed services on databases and queues of their own, with cart's still classic from before.
    own = settings.model_copy(update={"queue_prefix": f"{settings.queue_prefix}cli.",
                                      "exchange": f"{settings.exchange}.cli",
                                      "db_suffix": f"_cli{settings.db_suffix}"})
    base = own.queue_name("cart")
    await declare_classic(own, "cart")
    await put(own, base, "cart-waiting")
    try:
        refused = sportello(own, "migrate")
        assert refused.returncode == 1
        assert "sportello queues migrate" in refused.stderr and base in refused.stderr

        moved = sportello(own, "queues", "migrate")
        assert moved.returncode == 0, moved.stderr
        assert "cart: code quorum, 1 messaggi spostati" in moved.stdout

        done = sportello(own, "migrate")
        assert done.returncode == 0, done.stderr
        types = queue_types(own.queue_prefix)
        assert types and set(types.values()) == {"quorum"}
        connection = await aio_pika.connect(own.amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(base, passive=True)
            assert queue.declaration_result.message_count == 1  # the waiting event kept
    finally:
        from sportello.testing.run import drop_run

        await drop_run(own)
