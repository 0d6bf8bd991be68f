"""Quotes figures next to the floor of the same run (../../shared/FLOORS.md):

  - floor: single-row INSERT + commit on one asyncpg connection (p50/p99);
  - request trip: quote_cart.submitted published on the broker → quote.requested received from
    it (consumer, handler + number + outbox + inbox commit, relay, broker), one at a time;
  - staff issue: POST /api/staff/quotes/{id}/issue (2 lines) through the ASGI app, one at a time;
  - the expiry job over N due quotes in one round.

    uv run python services/quotes/scripts/bench_quotes.py [--n 200]

Uses the local PostgreSQL and RabbitMQ with a run id of its own; everything is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aio_pika
import asyncpg
from sportello.contracts.envelope import Envelope
from sportello.db import asyncpg_dsn
from sportello.jobs import run_once
from sportello.keys import generate_key
from sportello.settings import Settings
from sportello.testing import running_service
from sportello.testing.run import drop_run
from sportello_quotes.app import service
from sportello_quotes.jobs import EXPIRE_QUOTES


def run_settings(tmp: Path) -> Settings:
    """Like the tests' run: its own database suffix, queues, exchange and signing key."""
    run = uuid.uuid4().hex[:8]
    generate_key(tmp / "keys")
    return Settings(db_suffix=f"_b{run}", exchange=f"sportello.bench.{run}", queue_prefix=f"b{run}.",
                    jwt_keys_dir=tmp / "keys", jwt_public_keys=None, jobs_enabled=False,
                    log_level="ERROR", log_json=False)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def line(name: str, ms: list[float]) -> str:
    return f"{name:<48} p50 {pct(ms, 50):7.2f} ms   p99 {pct(ms, 99):7.2f} ms   (n={len(ms)})"


async def floor_insert(settings, n: int) -> list[float]:
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url("quotes")))
    try:
        await conn.execute("CREATE TEMP TABLE floor (id serial primary key, v text)")
        out = []
        for _ in range(n):
            t = time.perf_counter()
            async with conn.transaction():
                await conn.execute("INSERT INTO floor (v) VALUES ('x')")
            out.append((time.perf_counter() - t) * 1000)
        return out
    finally:
        await conn.close()


async def main(n: int) -> None:
    settings = run_settings(Path(tempfile.mkdtemp()))
    try:
        async with running_service(service, settings) as client:
            q = Quotes(client, settings)
            floor = await floor_insert(settings, 2000)
            trips, issues, submitted = [], [], []
            # One publisher connection, as the cart's relay keeps (publish_event opens one each),
            # and a private queue on quote.requested, as notifications would receive it.
            conn = await aio_pika.connect(settings.amqp_url)
            channel = await conn.channel(publisher_confirms=True)
            exchange = await channel.declare_exchange(settings.exchange,
                                                      aio_pika.ExchangeType.TOPIC, durable=True)
            out = await channel.declare_queue(exclusive=True, auto_delete=True)
            await out.bind(exchange, "quote.requested")
            arrived: dict[str, asyncio.Future] = {}

            async def on_requested(message):
                async with message.process():
                    quote_id = Envelope.model_validate_json(message.body).data["quote_id"]
                    if quote_id in arrived and not arrived[quote_id].done():
                        arrived[quote_id].set_result(time.perf_counter())

            await out.consume(on_requested)
            for _ in range(n):
                data = q.request(lines=2)
                envelope = Envelope(type="quote_cart.submitted", producer="cart",
                                    data=data.model_dump(mode="json"))
                arrived[str(data.quote_id)] = asyncio.get_running_loop().create_future()
                t = time.perf_counter()
                await exchange.publish(aio_pika.Message(envelope.model_dump_json().encode(),
                                                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                                       routing_key="quote_cart.submitted")
                done = await asyncio.wait_for(arrived[str(data.quote_id)], 10)
                trips.append((done - t) * 1000)
                submitted.append(data)
            await conn.close()
            for data in submitted:
                t = time.perf_counter()
                r = await q.issue(data)
                issues.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.text
            await q.sql("UPDATE quotes SET valid_until = valid_until - 40")
            t = time.perf_counter()
            expired = await run_once(EXPIRE_QUOTES, client.app.state.sessionmaker)
            job_ms = (time.perf_counter() - t) * 1000
            print(line("floor: INSERT + commit (asyncpg)", floor))
            print(line("quote_cart.submitted in → quote.requested out", trips))
            print(line("POST staff issue (2 lines, ASGI in-process)", issues))
            print(f"{'expiry job, one round':<48} {expired} quotes in {job_ms:.1f} ms "
                  f"({job_ms / max(expired, 1):.2f} ms/quote)")
            print(f"ratios to floor p50: trip {pct(trips, 50) / pct(floor, 50):.1f}×, "
                  f"issue {pct(issues, 50) / pct(floor, 50):.1f}×")
    finally:
        await drop_run(settings)


if __name__ == "__main__":
    # The tests' helper builds requests and staff calls exactly as the other services would.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from conftest import Quotes

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    asyncio.run(main(parser.parse_args().n))
