"""Event trip benchmark: commit with outbox row → relay → RabbitMQ → consumer → handler committed.

Measured in one run, next to the floors of the same run:
  - raw broker: aio-pika publish with confirm → consume → ack, no database (p50/p99), on a classic
    exclusive queue (FLOORS.md's) and on a durable quorum queue like the services' own (the
    target's floor: a quorum queue delivers only once its log has the message);
  - bare PostgreSQL: single-row INSERT + commit on one asyncpg connection (p50/p99);
  - Sportello: latency at a steady rate, sustained events/s with many writers, and how fast a
    backlog committed at once drains (the pipeline's capacity, whatever the writers manage).

    uv run python bench/events.py [--rate 200 --seconds 10 --burst 5000 --backlog 10000]

It uses the local PostgreSQL and RabbitMQ, databases and queues of its own, dropped at the end.
As in production, the producer (writers + relay) and the consumer are two processes with two
databases: this process writes and relays; a child process (`--consumer`) consumes, and reports
when each handler transaction committed (wall clock, same machine). The burst's 16 writers are the
load, not the pipeline: they run in a process of their own (`--writers`), each event one
statement on plain asyncpg through `emit_on` (as the cart's checkout writes its event), so the
relay process holds one relay and nothing else and the writers' CPU is reported apart.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time
import uuid
from pathlib import Path

import aio_pika
import asyncpg
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "libs/sportello/tests"))

from msgsvc import EVENT, make_service  # noqa: E402
from sportello.contracts.events import ServiceRetired  # noqa: E402
from sportello.db import asyncpg_dsn, ensure_database, make_engine, make_sessionmaker, upgrade_async  # noqa: E402
from sportello.messaging import emit, emit_on  # noqa: E402
from sportello.messaging.consumer import Consumer  # noqa: E402
from sportello.messaging.relay import Relay  # noqa: E402
from sportello.messaging.topology import QUORUM  # noqa: E402
from sportello.settings import Settings  # noqa: E402
from sportello.testing.processes import settings_env  # noqa: E402
from sportello.testing.run import drop_run  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def cpu_seconds(names: tuple[str, ...] = (), pid: int | None = None) -> float:
    """utime + stime of one process, or of every process whose command is one of `names` (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in ([str(pid)] if pid else os.listdir("/proc")):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        command, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if pid or command in names:
            total += int(fields[11]) + int(fields[12])
    return total / tick


PARTS = {"PostgreSQL": ("postgres",), "RabbitMQ": ("beam.smp",)}


def cpu_now(child_pid: int) -> dict[str, float]:
    return {"relay": cpu_seconds(pid=os.getpid()), "consumer": cpu_seconds(pid=child_pid),
            **{part: cpu_seconds(names) for part, names in PARTS.items()}}


def summary(ms: list[float]) -> str:
    return f"p50 {pct(ms, 50):.2f} ms, p99 {pct(ms, 99):.2f} ms (n={len(ms)})"


async def paced(rate: float, count: int, fire) -> None:
    """Call `fire(i)` `count` times at `rate` per second without waiting for each to finish."""
    start = time.perf_counter()
    tasks = []
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(i)))
    await asyncio.gather(*tasks)


async def floor_broker(settings: Settings, rate: float, count: int, quorum: bool) -> list[float]:
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=50)
        exchange = await channel.declare_exchange(settings.exchange + ".floor", "topic", auto_delete=True)
        queue = await (channel.declare_queue(settings.queue_name("floor"), durable=True, arguments=QUORUM)
                       if quorum else channel.declare_queue(exclusive=True))
        await queue.bind(exchange, "floor")
        sent: dict[str, float] = {}
        lat: list[float] = []
        done = asyncio.Event()

        async def on_message(message):
            await message.ack()
            lat.append((time.perf_counter() - sent[message.message_id]) * 1000)
            if len(lat) == count:
                done.set()

        await queue.consume(on_message)
        body = b"x" * 500

        async def fire(i):
            mid = str(i)
            sent[mid] = time.perf_counter()
            await exchange.publish(aio_pika.Message(body, message_id=mid,
                                                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                                   routing_key="floor")

        await paced(rate, count, fire)
        await asyncio.wait_for(done.wait(), 60)
        if quorum:
            await queue.delete(if_unused=False, if_empty=False)
    return lat


async def floor_commit(dsn: str, count: int) -> list[float]:
    conn = await asyncpg.connect(dsn)
    await conn.execute("CREATE TEMP TABLE floor (id uuid primary key, v text)")
    lat = []
    for _ in range(count):
        t = time.perf_counter()
        async with conn.transaction():
            await conn.execute("INSERT INTO floor VALUES ($1, 'x')", uuid.uuid4())
        lat.append((time.perf_counter() - t) * 1000)
    await conn.close()
    return lat


class TimedConsumer(Consumer):
    """Records when each event's handler transaction has committed (wall clock)."""

    committed: dict[str, float] = {}
    # slug prefix ("burst-") → how many of its events have committed: the child reports when a
    # count is reached without scanning `committed` (which would steal the consumer's CPU).
    counts: dict[str, int] = {}
    sizes: list[int] = []
    arrived: dict[str, float] = {}  # message id → when the delivery reached the consumer
    stages: dict[str, tuple[float, float]] = {}  # slug → (delivered, its batch began)

    async def on_message(self, message) -> None:
        TimedConsumer.arrived[message.message_id] = time.time()
        await super().on_message(message)

    async def handle_batch(self, batch: list) -> None:
        began = time.time()
        TimedConsumer.sizes.append(len(batch))
        await super().handle_batch(batch)  # commits, then acks
        at = time.time()
        for _, envelope, _ in batch:
            slug = envelope.data["slug"]
            if slug not in TimedConsumer.committed:
                TimedConsumer.committed[slug] = at
                TimedConsumer.stages[slug] = (TimedConsumer.arrived.pop(str(envelope.id), began), began)
                prefix = slug.split("-", 1)[0] + "-"
                TimedConsumer.counts[prefix] = TimedConsumer.counts.get(prefix, 0) + 1


async def consumer_process(settings: Settings) -> None:
    """Child: consume until told to report, then print slug → commit time as JSON."""
    service = make_service("events_consumer")
    url = settings.database_url("events_consumer")
    engine = make_engine(url, 10)
    sessions = make_sessionmaker(engine)
    consumer = TimedConsumer("events_consumer", service.handlers, sessions, settings)
    await consumer.start()
    gc.freeze()  # as a service process does at the end of its start-up
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        prefix, _, count = line.partition(" ")
        while TimedConsumer.counts.get(prefix, 0) < int(count):  # noqa: ASYNC110 (polls a counter the consumer bumps)
            await asyncio.sleep(0.01)
        sizes, TimedConsumer.sizes = TimedConsumer.sizes, []
        report = {k: v for k, v in TimedConsumer.committed.items() if k.startswith(prefix)}
        stages = {k: v for k, v in TimedConsumer.stages.items() if k.startswith(prefix)}
        print(json.dumps({"committed": report, "stages": stages, "batches": len(sizes),
                          "mean_batch": sum(sizes) / max(1, len(sizes))}), flush=True)
    await consumer.stop()
    await engine.dispose()


async def line_starting(stream: asyncio.StreamReader, prefix: bytes, timeout: float = 300) -> bytes:
    """The child's next output line that starts with `prefix` (skipping its log lines)."""
    while not (line := await asyncio.wait_for(stream.readline(), timeout)).startswith(prefix):
        if not line:
            raise RuntimeError("the child process ended early: see its output above")
    return line


async def writers_process(settings: Settings, prefix: str, count: int, writers: int) -> None:
    """Child: `count` events from `writers` connections, one statement each; then its CPU."""
    pool = await asyncpg.create_pool(asyncpg_dsn(settings.database_url("events")),
                                     min_size=writers, max_size=writers)
    slugs = iter(f"{prefix}{i}" for i in range(count))

    async def writer():
        async with pool.acquire() as conn:
            for slug in slugs:  # the event its own statement and transaction, as a checkout's
                await emit_on(conn, "events", EVENT, ServiceRetired(slug=slug, version=1))

    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "go"
    cpu = time.process_time()
    start = time.time()
    await asyncio.gather(*(writer() for _ in range(writers)))
    print(json.dumps({"start": start, "end": time.time(), "cpu": time.process_time() - cpu}),
          flush=True)
    await pool.close()


class TimedRelay(Relay):
    """Records when each row was claimed and handed to the broker (wall clock)."""

    claimed: dict[str, float] = {}  # event id → when
    sizes: list[int] = []  # rows per claimed batch

    async def publish_pending(self) -> int:
        taken = await super().publish_pending()
        if taken:
            TimedRelay.sizes.append(taken)
        return taken

    async def _publish(self, row) -> None:
        TimedRelay.claimed[str(row["id"])] = time.time()
        await super()._publish(row)


class Child:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.batches: dict[str, tuple[int, float]] = {}  # prefix → (batches, mean events per batch)

    async def __aenter__(self):
        env = {**os.environ, **settings_env(self.settings)}
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--consumer", env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=64 * 1024 * 1024)
        await line_starting(self.proc.stdout, b"ready")
        return self

    async def committed(self, prefix: str, count: int, timeout: float) -> dict[str, float]:
        self.proc.stdin.write(f"{prefix} {count}\n".encode())
        line = await line_starting(self.proc.stdout, b"{", timeout)
        report = json.loads(line)
        self.batches[prefix] = (report["batches"], report["mean_batch"])
        self.stages = report["stages"]
        return report["committed"]

    async def __aexit__(self, *exc):
        self.proc.stdin.write(b"\n")
        await asyncio.wait_for(self.proc.wait(), 10)


async def main(args) -> None:
    run = uuid.uuid4().hex[:8]
    settings = Settings(db_suffix=f"_bench{run}", exchange=f"sportello.bench.{run}",
                        queue_prefix=f"bench{run}.", log_level="WARNING", log_json=False)
    service = make_service("events")
    url = settings.database_url("events")
    for name in ("events", "events_consumer"):
        await ensure_database(settings.database_url(name))
        await upgrade_async(service.migrations, settings.database_url(name))
    engine = make_engine(url, 10)
    sessions = make_sessionmaker(engine)
    sessions.configure(info={"service": "events"})
    relay = TimedRelay("events", asyncpg_dsn(url), settings)
    try:
        n_steady = int(args.rate * args.seconds)
        print(f"floor: raw broker round trip at {args.rate:.0f} msg/s ...", flush=True)
        classic = await floor_broker(settings, args.rate, n_steady, quorum=False)
        broker = await floor_broker(settings, args.rate, n_steady, quorum=True)
        print("floor: bare PostgreSQL commit ...", flush=True)
        commit = await floor_commit(asyncpg_dsn(url), 2000)

        await relay.start()
        await asyncio.wait_for(relay.connected.wait(), 10)
        gc.freeze()
        committed_at: dict[str, float] = {}
        ids: dict[str, str] = {}

        async def emit_one(slug: str) -> None:
            async with sessions() as session:
                event_id = await emit(session, EVENT, ServiceRetired(slug=slug, version=1))
                await session.commit()
            committed_at[slug] = time.time()
            ids[slug] = str(event_id)

        async with Child(settings) as child:
            await asyncio.gather(*(emit_one(f"warm-{i}") for i in range(50)))  # warm up
            await child.committed("warm-", 50, 30)
            relayed: dict[str, list[int]] = {}  # phase → rows per relay batch

            def relayed_in(prefix: str) -> None:
                relayed[prefix], TimedRelay.sizes = TimedRelay.sizes, []

            relayed_in("warm-")

            print(f"sportello: steady {args.rate:.0f} events/s for {args.seconds:.0f} s ...", flush=True)
            await paced(args.rate, n_steady, lambda i: emit_one(f"steady-{i}"))
            handled = await child.committed("steady-", n_steady, 120)
            relayed_in("steady-")
            trip = [(handled[s] - committed_at[s]) * 1000 for s in handled]
            # Where the trip's time goes: each stage from the end of the one before.
            stages: dict[str, list[float]] = {"commit → claimed by the relay": [],
                                              "claimed → delivered to the consumer": [],
                                              "delivered → its batch began": [],
                                              "batch began → committed": []}
            for slug, (delivered, began) in child.stages.items():
                marks = (committed_at[slug], TimedRelay.claimed[ids[slug]], delivered, began, handled[slug])
                for stage, start_, end in zip(stages.values(), marks[:-1], marks[1:], strict=True):
                    stage.append((end - start_) * 1000)

            print(f"sportello: burst of {args.burst} events from 16 writers ...", flush=True)
            writers = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--writers", "burst-", str(args.burst), "16",
                env={**os.environ, **settings_env(settings)},
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
            await line_starting(writers.stdout, b"ready")
            cpu_before = cpu_now(child.proc.pid)
            writers.stdin.write(b"go\n")
            wrote = json.loads(await line_starting(writers.stdout, b"{"))
            await writers.wait()
            start, emitted = wrote["start"], wrote["end"] - wrote["start"]
            handled = await child.committed("burst-", args.burst, 300)
            relayed_in("burst-")
            elapsed = max(handled.values()) - start
            throughput = args.burst / elapsed
            burst_cpu = {part: (spent - cpu_before[part]) * 1e6 / args.burst
                         for part, spent in cpu_now(child.proc.pid).items()}
            burst_cpu["writers"] = wrote["cpu"] * 1e6 / args.burst

            # The pipeline's own capacity: a backlog committed at once (one transaction, so no
            # writer limits it), then relay → broker → consumer → inbox until the last is handled.
            print(f"sportello: a backlog of {args.backlog} events drained ...", flush=True)
            async with sessions() as session:
                for i in range(args.backlog):
                    await emit(session, EVENT, ServiceRetired(slug=f"backlog-{i}", version=1))
                await session.commit()
            start, cpu_before = time.time(), cpu_now(child.proc.pid)
            handled = await child.committed("backlog-", args.backlog, 300)
            relayed_in("backlog-")
            drained = args.backlog / (max(handled.values()) - start)
            drain_cpu = {part: (spent - cpu_before[part]) * 1e6 / args.backlog
                   for part, spent in cpu_now(child.proc.pid).items()}

        target = 3 * pct(broker, 99) + 2 * pct(commit, 99)
        classic_target = 3 * pct(classic, 99) + 2 * pct(commit, 99)
        print()
        print(f"raw broker round trip, classic queue:  {summary(classic)}")
        print(f"raw broker round trip, quorum queue (floor): {summary(broker)}")
        print(f"bare PostgreSQL commit (floor):    {summary(commit)}")
        print(f"commit → handler committed:        {summary(trip)}")
        for name, ms in stages.items():
            print(f"  {name + ':':38s} {summary(ms)}")
        print(f"  target p99 ≤ 3 × floor p99 + 2 commits = {target:.2f} ms → "
              f"{'met' if pct(trip, 99) <= target else 'NOT met'}; with the classic queue's p99 "
              f"{classic_target:.2f} ms → {'met' if pct(trip, 99) <= classic_target else 'NOT met'}")
        print(f"sustained: {throughput:.0f} events/s end to end ({args.burst} events, "
              f"written in {emitted:.2f} s, all handled in {elapsed:.2f} s); target ≥ 2,000 (issue 24) → "
              f"{'met' if throughput >= 2000 else 'NOT met'}")
        print(f"backlog drained: {drained:.0f} events/s (relay, broker, consumer and inbox, "
              f"{args.backlog} events committed at once); target ≥ 2,000 → "
              f"{'met' if drained >= 2000 else 'NOT met'}")
        for prefix, (n, mean) in child.batches.items():
            sizes = relayed.get(prefix) or [0]
            print(f"  batches for {prefix}*: relay {len(sizes)}, mean {sum(sizes) / len(sizes):.1f} rows"
                  f" each; consumer {n}, mean {mean:.1f} events each")
        for phase, cpu in (("the burst", burst_cpu), ("the backlog drain", drain_cpu)):
            print(f"  CPU per event in {phase}: " + ", ".join(
                f"{part} {us:.0f} µs" for part, us in cpu.items())
                + f" (total {sum(cpu.values()):.0f} µs of the 2 cores' 1,000 µs per event at 2,000/s)")
    finally:
        await relay.stop()
        await engine.dispose()
        await drop_run(settings, extra_services=("events", "events_consumer"))


if __name__ == "__main__":
    if "--consumer" in sys.argv:
        uvloop.run(consumer_process(Settings()))
        sys.exit(0)
    if "--writers" in sys.argv:
        prefix, count, writers = sys.argv[sys.argv.index("--writers") + 1:][:3]
        uvloop.run(writers_process(Settings(), prefix, int(count), int(writers)))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--backlog", type=int, default=10000)
    uvloop.run(main(parser.parse_args()))  # as every service process runs (uvicorn's loop="uvloop")
