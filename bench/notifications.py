"""order.paid committed → its email accepted by the SMTP sink, at a steady rate; next to the raw
broker round trip measured in the same run (bench/README.md, "Notifications").

    uv run python bench/notifications.py [--rate 20] [--seconds 30]

The whole real path: a producer commits order.paid into its outbox (as orders does) → the
shared relay publishes it → the notifications service (a separate process) records the emails
in its consumer transaction → its sender delivers over SMTP → the sink (another process) stamps
the arrival. Latency = sink arrival − producer commit, same host clock. Everything runs against
its own databases, queues and exchange, dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aio_pika
import httpx
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sportello.db import asyncpg_dsn, ensure_database, make_engine, make_sessionmaker
from sportello.keys import generate_key
from sportello.messaging import Relay, emit
from sportello.messaging.schema import add_outbox_parking, create_messaging_tables
from sportello.settings import Settings
from sportello.testing.processes import serve_processes
from sportello.testing.run import drop_run

# The sample events live with the notifications tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services/notifications/tests"))
import notifications_samples as samples  # noqa: E402


def pct(values: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49], q[98], max(values)


async def paced(rate: float, count: int):
    """Yield `count` ticks at `rate` per second, on an absolute schedule (no drift)."""
    start = time.perf_counter()
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        yield i


async def emails_latency(settings, rate: float, count: int) -> list[float]:
    url = settings.database_url("benchorders")
    await ensure_database(url)
    engine = make_engine(url, 4)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: create_messaging_tables(Operations(MigrationContext.configure(c))))
        await conn.run_sync(lambda c: add_outbox_parking(Operations(MigrationContext.configure(c))))
    sessionmaker = make_sessionmaker(engine)
    sessionmaker.configure(info={"service": "orders"})
    relay = Relay("orders", asyncpg_dsn(url), settings)
    await relay.start()
    await asyncio.wait_for(relay.connected.wait(), 15)
    committed: dict[str, float] = {}
    try:
        async for _ in paced(rate, count):
            paid = samples.order_paid()
            async with sessionmaker() as session:
                await emit(session, "order.paid", paid)
                await session.commit()
            committed[paid.customer.email] = time.time()
        received: dict[str, float] = {}
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=settings.mail_sink_url, timeout=30) as c:
            while len(received) < count and time.monotonic() < deadline:
                for m in (await c.get("/api/messages")).json()["items"]:
                    for to in m["to"]:
                        if to in committed:
                            received[to] = m["received_at"]
                await asyncio.sleep(1)
        lost = count - len(received)
        if lost:
            print(f"  {lost} emails not received within 60 s")
        return [(received[to] - committed[to]) * 1000 for to in received]
    finally:
        await relay.stop()
        await engine.dispose()


async def broker_round_trip(settings, rate: float, count: int) -> list[float]:
    """Persistent publish with confirm → consumer receives (manual ack), same rate."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=50)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        sent: dict[str, float] = {}
        got: dict[str, float] = {}
        done = asyncio.Event()

        async def on_message(message):
            got[message.message_id] = time.perf_counter()
            await message.ack()
            if len(got) == count:
                done.set()

        await queue.consume(on_message)
        body = b"x" * 500
        async for _ in paced(rate, count):
            mid = str(uuid.uuid4())
            sent[mid] = time.perf_counter()
            await channel.default_exchange.publish(
                aio_pika.Message(body, message_id=mid, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=queue.name)
        await asyncio.wait_for(done.wait(), 30)
        return [(got[m] - sent[m]) * 1000 for m in sent]


async def main(rate: float, seconds: float) -> None:
    count = int(rate * seconds)
    run = uuid.uuid4().hex[:8]
    workdir = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    keys = workdir / "keys"
    generate_key(keys)
    # Its own databases, queues and exchange, as a test run has (dropped at the end).
    settings = Settings(db_suffix=f"_b{run}", exchange=f"sportello.bench.{run}",
                        queue_prefix=f"b{run}.", jwt_keys_dir=keys, jobs_enabled=False,
                        log_level=os.environ.get("BENCH_LOG_LEVEL", "WARNING"))
    try:
        logs = workdir / "logs"
        logs.mkdir()
        print(f"process logs in {logs}")
        async with serve_processes(settings, ["mailsink", "notifications"],
                                   log_dir=logs) as running:
            print(f"order.paid → email in the sink: {count} events at {rate:g}/s ({seconds:g} s)")
            emails = await emails_latency(running, rate, count)
            print(f"raw broker round trip: {count} messages at {rate:g}/s")
            broker = await broker_round_trip(running, rate, count)
    finally:
        await drop_run(settings)
    for name, values in (("order.paid committed → email accepted by the sink", emails),
                         ("raw broker round trip (publish+confirm → consumer)", broker)):
        p50, p99, worst = pct(values)
        print(f"  {name:52s} n={len(values):4d}  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
              f"max {worst:7.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.rate, args.seconds))
