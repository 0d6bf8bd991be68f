"""CPU per event of the relay and of the consumer, in one process, with a variant interleaved.

    uv run python bench/messaging_cpu.py [--rounds 12]

The machine's speed drifts by a third from minute to minute, so two benchmark runs minutes apart
cannot tell a change of a few per cent. Here every round measures the code as it is and one
variant back to back (the order alternating), in one process, with `time.process_time()`, and the
medians are compared:
  - the relay (`Relay.publish_pending`) on rows committed beforehand, in batches of 1 (a checkout's
    event as it leaves the cart) and of 200 (`relay_batch_size`, a backlog); variant: publishes
    that do not wait for the socket's drain (aiormq's `wait=False`), only for their confirms;
  - the consumer (`Consumer`, msgsvc's one-INSERT handler) draining 2,000 events queued
    beforehand; variant: `on_message` as a plain function (aio-pika then calls it without a task
    per delivery).
Its own database, exchange and queues, dropped at the end; PostgreSQL and RabbitMQ are local.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
import uuid
from pathlib import Path

import aio_pika
import asyncpg
import uvloop
from pamqp.commands import Basic

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "libs/sportello/tests"))

from msgsvc import EVENT, make_service  # noqa: E402
from sportello.contracts.envelope import Envelope  # noqa: E402
from sportello.contracts.events import ServiceRetired  # noqa: E402
from sportello.db import (  # noqa: E402
    asyncpg_dsn,
    drop_database,
    ensure_database,
    make_engine,
    make_sessionmaker,
    upgrade_async,
)
from sportello.messaging import emit_on  # noqa: E402
from sportello.messaging.consumer import Consumer  # noqa: E402
from sportello.messaging.relay import Relay  # noqa: E402
from sportello.messaging.topology import QUORUM, dead_queue_name, retry_queue_name  # noqa: E402
from sportello.settings import Settings  # noqa: E402

CONSUMED = 2000


class NoDrainWait(Relay):
    """The variant: `Relay._publish` with `wait=False`."""

    async def _publish(self, row) -> None:
        properties = Basic.Properties(
            content_type="application/json", delivery_mode=2, message_id=str(row["id"]),
            message_type=row["event_type"], correlation_id=row["cid"], app_id=self.service)
        await self._channel.basic_publish(
            row["body"].encode(), exchange=self._exchange.name, routing_key=row["event_type"],
            properties=properties, mandatory=True, wait=False)


class Counting(Consumer):
    handled = 0

    async def handle_batch(self, batch: list) -> None:
        await super().handle_batch(batch)
        Counting.handled += len(batch)


class PlainOnMessage(Counting):
    """The variant: a plain function, as aio-pika then skips a task per delivery."""

    def on_message(self, message) -> None:  # type: ignore[override]
        self._pending.put_nowait(message)


def report(name: str, figures: dict[str, list[float]]) -> None:
    for variant, values in figures.items():
        print(f"{name}, {variant}: median {statistics.median(values):.1f} µs "
              f"(min {min(values):.1f}, max {max(values):.1f}, {len(values)} rounds)")


async def relay_rounds(settings: Settings, url: str, rounds: int, sink) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    relays = {"as it is": Relay("events", asyncpg_dsn(url), settings),
              "no drain wait": NoDrainWait("events", asyncpg_dsn(url), settings)}
    for relay in relays.values():
        await relay.connect()  # no LISTEN loop: the rounds call publish_pending themselves
    body = ServiceRetired(slug="bench", version=1)
    try:
        for batch, rows in ((1, 200), (200, 2000)):
            figures: dict[str, list[float]] = {name: [] for name in relays}
            for i in range(rounds):
                for name in (list(relays) if i % 2 else list(relays)[::-1]):
                    relay = relays[name]
                    relay.settings = settings.model_copy(update={"relay_batch_size": batch})
                    async with connection.transaction():
                        for _ in range(rows):
                            await emit_on(connection, "events", EVENT, body)
                    start, done = time.process_time(), 0
                    while done < rows:
                        done += await relay.publish_pending()
                    figures[name].append(1e6 * (time.process_time() - start) / rows)
                    await sink.purge()
            report(f"relay CPU per row, batches of {batch}", figures)
    finally:
        for relay in relays.values():
            await relay.disconnect()
        await connection.close()


async def consumer_rounds(settings: Settings, url: str, rounds: int) -> None:
    service = make_service("events")
    engine = make_engine(url, 4)
    sessions = make_sessionmaker(engine)
    sessions.configure(info={"service": "events"})
    variants = {"as it is": Counting, "plain on_message": PlainOnMessage}
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC,
                                                  durable=True)
        # The queue and its bindings exist before the first publish.
        declaring = Counting("events", service.handlers, sessions, settings)
        await declaring.start()
        await declaring.stop()
        figures: dict[str, list[float]] = {name: [] for name in variants}
        for i in range(rounds):
            for name in (list(variants) if i % 2 else list(variants)[::-1]):
                consumer = variants[name]("events", service.handlers, sessions, settings)
                confirms = []
                for n in range(CONSUMED):
                    envelope = Envelope(type=EVENT, producer="bench", data=ServiceRetired(
                        slug=f"{i}-{name}-{n}", version=1).model_dump(mode="json"))
                    confirms.append(exchange.publish(aio_pika.Message(
                        envelope.model_dump_json().encode(), message_id=str(envelope.id),
                        type=EVENT, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                        routing_key=EVENT))
                    if len(confirms) == 200:
                        await asyncio.gather(*confirms)
                        confirms = []
                await asyncio.gather(*confirms)
                Counting.handled = 0
                start = time.process_time()
                await consumer.start()
                while Counting.handled < CONSUMED:  # noqa: ASYNC110 (a counter the batches bump)
                    await asyncio.sleep(0.002)
                figures[name].append(1e6 * (time.process_time() - start) / CONSUMED)
                await consumer.stop()
        report(f"consumer CPU per event, {CONSUMED} queued", figures)
    finally:
        await connection.close()
        await engine.dispose()


async def main(rounds: int) -> None:
    run = uuid.uuid4().hex[:8]
    settings = Settings(db_suffix=f"_bench{run}", exchange=f"sportello.bench.{run}",
                        queue_prefix=f"bench{run}.", log_level="WARNING", log_json=False)
    url = settings.database_url("events")
    await ensure_database(url)
    await upgrade_async(make_service("events").migrations, url)
    amqp = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await amqp.channel()
        exchange = await channel.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC,
                                                  durable=True)
        # Somewhere for the relay's rows to go (an unroutable publish is answered differently).
        sink = await channel.declare_queue(f"bench{run}.sink", durable=True, arguments=QUORUM)
        await sink.bind(exchange, EVENT)
        await relay_rounds(settings, url, rounds, sink)
        await consumer_rounds(settings, url, rounds)
    finally:
        queue = settings.queue_name("events")
        for name in (f"bench{run}.sink", queue, dead_queue_name(queue),
                     *(retry_queue_name(queue, i) for i in range(len(settings.retry_delays)))):
            # A new channel each: deleting a queue that is not there closes the channel.
            with contextlib.suppress(Exception):
                await (await amqp.channel()).queue_delete(name)
        with contextlib.suppress(Exception):
            await (await amqp.channel()).exchange_delete(settings.exchange)
        await amqp.close()
        await drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=12)
    uvloop.run(main(parser.parse_args().rounds))
