"""Cart benchmark: add-to-cart and checkout p50/p99 and req/s, next to a bare FastAPI POST.

    uv run python bench/cart.py [--duration 8] [--connections 16]

Starts, on free ports and against a throw-away database and exchange:
- the cart service as a real process (`sportello serve cart`: uvicorn, uvloop, httptools,
  1 worker, relay and consumer running);
- a bare FastAPI app with one POST route (same uvicorn settings) — the floor of this run.
One aiohttp load generator in this process drives each target in turn with N connections for
the same duration (the client shares the 2 cores with the servers, as in ../shared/FLOORS.md).

- bare:     POST /items with a small JSON body → 201
- add:      POST /api/cart/items (bearer; validate answers, price, insert line) → 201
- checkout: POST /api/cart/checkout (row lock, re-price every line, outbox event, empty the cart,
            idempotency row) → 202; every customer checks out the cart filled in the add phase.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel
from sportello.contracts.legal import TERMS_VERSION

BILLING = {
    "customer_type": "privato", "first_name": "Mario", "last_name": "Rossi",
    "tax_code": "RSSMRA85T10A562S",
    "address": {"street": "Via Roma 1", "postal_code": "20121", "city": "Milano",
                "province": "MI", "country": "IT"},
    "email": "mario.rossi@example.it",
}
FIELDS = [
    {"name": "company", "label": "Azienda", "type": "text", "required": True, "max_length": 50},
    {"name": "pages", "label": "Pagine", "type": "number", "required": True, "min": 1, "max": 20,
     "unit_price_cents": 5000},
    {"name": "urgency", "label": "Urgenza", "type": "select", "required": True, "options": [
        {"value": "normal", "label": "Normale"},
        {"value": "urgent", "label": "Urgente", "percent_bp": 3000}]},
    {"name": "hosting", "label": "Hosting", "type": "checkbox", "price_cents": 2000},
]
ANSWERS = {"company": "Rossi S.r.l.", "pages": 3, "urgency": "urgent", "hosting": True}


class Item(BaseModel):
    """The bare floor's body: the shape of an add-to-cart request, no rules."""

    service_slug: str
    answers: dict
    quantity: int = 1


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.post("/items", status_code=201)
    async def add(item: Item):
        return {"id": str(uuid.uuid4()), "service_slug": item.service_slug, "quantity": item.quantity}

    return app


def serve_bare(port: int) -> None:
    import uvicorn

    uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False,
                loop="uvloop", http="httptools")


class Result:
    def __init__(self, name: str, latencies: list[float], seconds: float, statuses: dict[int, int]):
        self.name, self.latencies, self.seconds, self.statuses = name, latencies, seconds, statuses

    def pct(self, p: float) -> float:
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(len(data) * p))] * 1000

    def row(self) -> str:
        rps = len(self.latencies) / self.seconds
        return (f"| {self.name} | {len(self.latencies)} | {rps:,.0f} | {self.pct(0.50):.2f} | "
                f"{self.pct(0.99):.2f} | {statistics.mean(self.latencies) * 1000:.2f} | "
                f"{dict(sorted(self.statuses.items()))} |")


async def drive(name: str, connections: int, duration: float, make_request, *, limit: int | None = None,
                expect: int) -> Result:
    """`connections` workers send requests back to back for `duration` s (or `limit` requests)."""
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(limit if limit is not None else 10**12))
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as http:
        deadline = time.perf_counter() + duration

        async def worker():
            while time.perf_counter() < deadline:
                try:
                    i = next(counter)
                except StopIteration:
                    return
                method, url, kwargs = make_request(i)
                t0 = time.perf_counter()
                async with http.request(method, url, **kwargs) as r:
                    await r.read()
                latencies.append(time.perf_counter() - t0)
                statuses[r.status] = statuses.get(r.status, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        seconds = time.perf_counter() - start
    result = Result(name, latencies, seconds, statuses)
    if set(statuses) != {expect}:
        print(f"warning: {name} answered {statuses}", file=sys.stderr)
    return result


async def main(duration: float, connections: int, customers: int) -> None:
    from sportello.contracts.events import ServicePublished, ServiceSnapshot
    from sportello.db import asyncpg_dsn, ensure_database, upgrade_async
    from sportello.keys import generate_key
    from sportello.messaging.topology import declare_all
    from sportello.settings import Settings
    from sportello.testing import publish_event, wait_for
    from sportello.testing.processes import Process, free_port, with_free_ports
    from sportello.testing.run import drop_run
    from sportello.tokens import TokenIssuer
    from sportello_cart.app import service

    run = uuid.uuid4().hex[:8]
    keys = Path(tempfile.mkdtemp(prefix="bench-keys-"))
    generate_key(keys)
    settings = Settings(db_suffix=f"_bench{run}", exchange=f"sportello.bench.{run}",
                        queue_prefix=f"bench{run}.", jwt_keys_dir=keys, jwt_public_keys=None,
                        jobs_enabled=False, log_level="ERROR")
    bare_port = free_port()
    # Popen returns at once: the server runs beside this loop.
    bare = subprocess.Popen([sys.executable, __file__, "--serve-bare", str(bare_port)])  # noqa: ASYNC220
    running = with_free_ports(settings, ["cart"])
    await ensure_database(running.database_url("cart"))
    await upgrade_async(service.migrations, running.database_url("cart"))
    # Only the cart process (not serve_processes, which loads every installed service).
    # Orders' queue, bound as in production, so every cart.checked_out is routed and confirmed.
    await declare_all(running, {"orders": ["cart.checked_out"]})
    cart_process = Process("cart", running, Path(tempfile.mkdtemp(prefix="bench-logs-")), {})
    try:
        await cart_process.wait_healthy()
        if True:
            cart = running.cart_url
            slug = f"sito-{run}"
            await publish_event(running, "catalog.service.published", ServicePublished(
                service=ServiceSnapshot.model_validate({
                    "slug": slug, "name": "Sito vetrina", "category": {"slug": "web", "name": "Web"},
                    "pricing_mode": "fixed", "base_net_cents": 10000, "vat_rate_bp": 2200,
                    "form": {"fields": FIELDS}, "version": 1})))
            issuer = TokenIssuer(running)
            people = [{"Authorization": f"Bearer {issuer.access_token(uuid.uuid4(), 'customer')}"}
                      for _ in range(customers)]
            import httpx

            async def replicated():
                async with httpx.AsyncClient() as c:
                    r = await c.post(f"{cart}/api/cart/items", headers=people[0],
                                     json={"service_slug": slug, "answers": ANSWERS})
                    return r.status_code == 201

            await wait_for(replicated, timeout=20)
            bare_url = f"http://127.0.0.1:{bare_port}"
            await wait_for(lambda: _up(bare_url), timeout=20)

            add_body = {"service_slug": slug, "answers": ANSWERS, "quantity": 2}
            warm = min(2.0, duration / 4)
            await drive("warm-up", connections, warm, lambda i: ("POST", f"{bare_url}/items",
                                                                 {"json": add_body}), expect=201)
            bare_r = await drive("bare FastAPI POST (floor)", connections, duration,
                                 lambda i: ("POST", f"{bare_url}/items", {"json": add_body}),
                                 expect=201)
            add_r = await drive("cart: add to cart", connections, duration,
                                lambda i: ("POST", f"{cart}/api/cart/items",
                                           {"json": add_body, "headers": people[i % customers]}),
                                limit=customers * 10, expect=201)
            checkout_r = await drive(
                "cart: checkout", connections, duration,
                lambda i: ("POST", f"{cart}/api/cart/checkout",
                           {"json": {"billing": BILLING,
                                     "terms_version": TERMS_VERSION, "payment_method": "card"},
                            "headers": {**people[i], "Idempotency-Key": f"bench-{i}"}}),
                limit=min(customers, len(add_r.latencies)), expect=202)
            db_r = await db_floor(asyncpg_dsn(running.database_url("cart")))
            bare_again = await drive("bare FastAPI POST (again, after)", connections, duration,
                                     lambda i: ("POST", f"{bare_url}/items", {"json": add_body}),
                                     expect=201)
    finally:
        cart_process.stop()
        bare.terminate()
        bare.wait(10)
        await drop_run(settings)

    print(f"\n{os.cpu_count()} cores; aiohttp client with {connections} connections in the same "
          f"machine; {duration:.0f} s per target; {customers} customers\n")
    print("| target | requests | req/s | p50 ms | p99 ms | mean ms | answers |")
    print("|---|---|---|---|---|---|---|")
    for r in (bare_r, add_r, checkout_r, bare_again, db_r):
        print(r.row())
    floor = (bare_r.pct(0.99) + bare_again.pct(0.99)) / 2
    floor_rps = (len(bare_r.latencies) / bare_r.seconds + len(bare_again.latencies) / bare_again.seconds) / 2
    for r in (add_r, checkout_r):
        print(f"\n{r.name}: p99 {r.pct(0.99) / floor:.1f}× the floor's, "
              f"req/s {len(r.latencies) / r.seconds / floor_rps:.2f}× the floor's", end="")
    print(f"\nthe database in this run: INSERT + commit p50 {db_r.pct(0.5):.2f} ms, "
          f"p99 {db_r.pct(0.99):.2f} ms (FLOORS.md: p50 0.19, p99 0.28 on a quiet machine)")
    print(f"load average at the end: {os.getloadavg()}")


async def db_floor(dsn: str, n: int = 1000) -> Result:
    """The database floor of this run: single-row INSERT + commit on one asyncpg connection."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        # A regular table: a temporary one skips the WAL, hence the commit's flush to disk.
        await conn.execute("CREATE TABLE bench_floor (id uuid PRIMARY KEY, body jsonb)")
        latencies = []
        start = time.perf_counter()
        for _ in range(n):
            t0 = time.perf_counter()
            await conn.execute("INSERT INTO bench_floor VALUES ($1, '{}')", uuid.uuid4())
            latencies.append(time.perf_counter() - t0)
        result = Result("PostgreSQL INSERT + commit, 1 connection (floor)", latencies,
                        time.perf_counter() - start, {0: n})
        await conn.execute("DROP TABLE bench_floor")
        return result
    finally:
        await conn.close()


async def _up(url: str) -> bool:
    import httpx

    try:
        async with httpx.AsyncClient() as c:
            r = await c.post(f"{url}/items", json={"service_slug": "x", "answers": {}})
            return r.status_code == 201
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--customers", type=int, default=3000)
    args = parser.parse_args()
    asyncio.run(main(args.duration, args.connections, args.customers))
