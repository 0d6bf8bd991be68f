"""Cart CPU per request, in process: milliseconds of CPU per add to cart and per checkout.

    uv run python bench/cart_cpu.py [--profile add|checkout]

The cart app under httpx.ASGITransport against this run's own PostgreSQL database, Redis prefix
and RabbitMQ exchange (relay and consumer running): 1,000 adds by 100 customers, then each of
them checks out its 10-11 lines. `time.process_time()` around each phase: CPU, not wall clock,
so the figure holds on a busy machine (the test client's share: the /healthz line); and the CPU
of every postgres process over the same phase (only meaningful with no other database work). With
--profile, cProfile on CPU time of one phase.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
import uuid
from pathlib import Path

from cart import ANSWERS, BILLING, FIELDS
from events import cpu_seconds
from sportello.contracts.events import ServicePublished, ServiceSnapshot
from sportello.contracts.legal import TERMS_VERSION
from sportello.testing import bearer, publish_event, running_service, wait_for
from sportello.testing.run import _run_settings, drop_run
from sportello_cart.app import service

CUSTOMERS, ADDS = 100, 1000


async def timed(n: int, request, profiler: cProfile.Profile | None) -> tuple[float, float]:
    """(this process's, PostgreSQL's) CPU ms per call of `request(i)` over n calls."""
    start, database = time.process_time(), cpu_seconds(("postgres",))
    if profiler:
        profiler.enable()
    for i in range(n):
        await request(i)
    if profiler:
        profiler.disable()
    return ((time.process_time() - start) / n * 1000,
            (cpu_seconds(("postgres",)) - database) / n * 1000)


async def main(profile: str | None) -> None:
    settings = _run_settings(Path(tempfile.mkdtemp()), {}).model_copy(
        update={"log_level": "ERROR", "db_pool_size": 10})
    profiler = cProfile.Profile(time.process_time) if profile else None
    try:
        async with running_service(service, settings) as c:
            slug = f"sito-{uuid.uuid4().hex[:6]}"
            await publish_event(settings, "catalog.service.published", ServicePublished(
                service=ServiceSnapshot.model_validate({
                    "slug": slug, "name": "Sito vetrina", "category": {"slug": "web", "name": "Web"},
                    "pricing_mode": "fixed", "base_net_cents": 10000, "vat_rate_bp": 2200,
                    "form": {"fields": FIELDS}, "version": 1})), producer="catalog")
            people = [bearer(settings, uuid.uuid4(), "customer") for _ in range(CUSTOMERS)]
            body = {"service_slug": slug, "answers": ANSWERS, "quantity": 2}

            async def replicated():
                return (await c.post("/api/cart/items", headers=people[0], json=body)).status_code == 201

            await wait_for(replicated, timeout=20)

            async def health(i):
                await c.get("/healthz")

            async def add(i):
                r = await c.post("/api/cart/items", headers=people[i % CUSTOMERS], json=body)
                assert r.status_code == 201, r.text

            async def checkout(i):
                r = await c.post("/api/cart/checkout",
                                 headers={**people[i], "Idempotency-Key": f"k-{i}"},
                                 json={"billing": BILLING, "terms_version": TERMS_VERSION,
                                       "payment_method": "card"})
                assert r.status_code == 202, r.text

            await timed(50, health, None)
            per_health, _ = await timed(1000, health, None)
            per_add, db_add = await timed(ADDS, add, profiler if profile == "add" else None)
            per_checkout, db_checkout = await timed(CUSTOMERS, checkout,
                                                    profiler if profile == "checkout" else None)
            print(f"CPU per /healthz {per_health:.2f} ms; per add {per_add:.2f} ms ({ADDS} adds, "
                  f"{CUSTOMERS} customers); per checkout {per_checkout:.2f} ms ({CUSTOMERS} "
                  "checkouts of 10-11 lines)")
            print(f"PostgreSQL's CPU (every postgres process, the relay's statements included) "
                  f"per add {db_add:.2f} ms; per checkout {db_checkout:.2f} ms")
            if profiler:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    finally:
        await drop_run(settings)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=["add", "checkout"])
    asyncio.run(main(parser.parse_args().profile))
