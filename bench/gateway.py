"""Gateway benchmark: the cost of the hop, and checkout accepted → order visible through it.

    uv run python bench/gateway.py [--wrk-seconds 8] [--rate 20] [--checkouts 200] [--skip-e2e]
                                   [--limits 20000]

1. The hop. A bare FastAPI app (one small-JSON GET, uvicorn with uvloop + httptools: the floor
   of FLOORS.md) stands in for a service; the gateway runs in front of it with `sportello serve
   gateway`, and so does FLOORS.md's bare hop (Starlette + aiohttp, no checks). wrk measures the
   route directly, through the bare hop and through the gateway, alternating, in one run, at 32
   connections and at 1 connection.
2. End to end. The whole system (every service, gateway, sink, sandbox) as real processes on this
   run's databases; customers with one line in their cart check out at `--rate` per second (open
   loop); for each, the time from the 202 of POST /api/cart/checkout to the first 200 of
   GET /api/orders/{id}, polled through the gateway every 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sportello.contracts.legal import TERMS_VERSION
from sportello.testing import bearer
from sportello.testing.processes import free_port, wait_http
from sportello.testing.run import _run_settings, drop_run

BARE_APP = """
from fastapi import FastAPI
app = FastAPI()
@app.get("/api/catalog/ping")
async def ping():
    return {"status": "ok", "service": "catalog"}
@app.get("/healthz")
async def healthz():
    return {"status": "ok"}
"""


# FLOORS.md's bare hop, measured in the same run: Starlette + one pooled aiohttp.ClientSession
# (64 connections), no checks of any kind: what any Python hop on this machine costs.
BARE_HOP = """
import os
from contextlib import asynccontextmanager
import aiohttp
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
UPSTREAM = os.environ["BARE_HOP_UPSTREAM"]
pool = {}
@asynccontextmanager
async def lifespan(app):
    pool["session"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
    yield
    await pool["session"].close()
async def forward(request):
    async with pool["session"].get(UPSTREAM + request.url.path) as r:
        return Response(await r.read(), status_code=r.status,
                        media_type=r.headers.get("content-type"))
app = Starlette(routes=[Route("/api/catalog/ping", forward)], lifespan=lifespan)
"""


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def wrk(url: str, connections: int, seconds: int, header: str | None = None) -> dict:
    extra = ["-H", header] if header else []
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", *extra,
                          url], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": ms("50%"), "p99": ms("99%"), "non2xx": int(errors.group(1)) if errors else 0}


def hop(seconds: int) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="bench-gw-"))
    (work / "bare_app.py").write_text(BARE_APP)
    (work / "bare_hop.py").write_text(BARE_HOP)
    up_port, hop_port, gw_port = free_port(), free_port(), free_port()
    env = {**os.environ, "SPORTELLO_CATALOG_URL": f"http://127.0.0.1:{up_port}",
           "SPORTELLO_GATEWAY_URL": f"http://127.0.0.1:{gw_port}",
           "SPORTELLO_LOG_LEVEL": "WARNING", "BARE_HOP_UPSTREAM": f"http://127.0.0.1:{up_port}",
           # The ceiling would cut the load generator itself; the check still runs per request.
           "SPORTELLO_RATE_GLOBAL_PER_SECOND": "10000000"}
    uvicorn = [sys.executable, "-m", "uvicorn", "--loop", "uvloop", "--http", "httptools",
               "--log-level", "warning", "--no-access-log"]
    procs = [
        subprocess.Popen([*uvicorn, "bare_app:app", "--port", str(up_port)], cwd=work, env=env),
        subprocess.Popen([*uvicorn, "bare_hop:app", "--port", str(hop_port)], cwd=work, env=env),
        subprocess.Popen([sys.executable, "-m", "sportello.cli", "serve", "gateway"], env=env,
                         stdout=subprocess.DEVNULL),
    ]
    lines = []
    try:
        urls = {"direct": f"http://127.0.0.1:{up_port}/api/catalog/ping",
                "bare hop": f"http://127.0.0.1:{hop_port}/api/catalog/ping",
                "gateway": f"http://127.0.0.1:{gw_port}/api/catalog/ping"}
        wait_http(urls["direct"])
        wait_http(urls["bare hop"])
        wait_http(f"http://127.0.0.1:{gw_port}/healthz")
        for url in urls.values():
            wrk(url, 32, 2)                                 # warm each (pools, caches)
        for connections in (32, 1):
            runs = {name: [] for name in urls}
            for _ in range(2):                              # alternate: noise hits each alike
                for name, url in urls.items():
                    runs[name].append(wrk(url, connections, seconds))
            m = {name: {k: sum(r[k] for r in rs) / len(rs) for k in ("rps", "p50", "p99")}
                 for name, rs in runs.items()}
            d, h, g = m["direct"], m["bare hop"], m["gateway"]
            bad = sum(r["non2xx"] for rs in runs.values() for r in rs)
            lines.append(
                f"| {connections} | {d['rps']:,.0f} | {d['p50']:.2f} | {d['p99']:.2f} | "
                f"{h['rps']:,.0f} ({h['rps'] / d['rps']:.0%}) | +{h['p50'] - d['p50']:.2f} ms | "
                f"{g['rps']:,.0f} ({g['rps'] / d['rps']:.0%}) | {g['p50']:.2f} | {g['p99']:.2f} | "
                f"+{g['p50'] - d['p50']:.2f} ms | {g['p99'] - d['p99']:+.2f} ms | {bad} |")
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
    return lines


async def end_to_end(rate: float, count: int) -> str:
    from sportello.testing.system import start_system

    settings = _run_settings(Path(tempfile.mkdtemp(prefix="bench-gw-keys-")), {})
    try:
        async with start_system(settings, {"SPORTELLO_LOG_LEVEL": "WARNING"}) as system:
            base = system.settings.gateway_url
            limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
            async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as api:
                # Customers with a line each; every customer is its own address (X-Forwarded-For
                # from a trusted local peer), as real shoppers would be for the per-address limit.
                customers = []
                for i in range(count):
                    h = {**bearer(system.settings, uuid.uuid4()),
                         "X-Forwarded-For": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"}
                    r = await api.post("/api/cart/items", headers=h, json={
                        "service_slug": "dichiarazione-dei-redditi", "answers": {"modello": "730"}})
                    assert r.status_code == 201, r.text
                    customers.append(h)
                billing = {"customer_type": "privato", "first_name": "Mario", "last_name": "Rossi",
                           "tax_code": "RSSMRA85T10A562S", "email": "mario.rossi@example.com",
                           "address": {"street": "Via Roma 1", "postal_code": "20121",
                                       "city": "Milano", "province": "MI", "country": "IT"}}
                accepted_ms, visible_ms = [], []

                async def one(h):
                    t0 = time.perf_counter()
                    r = await api.post("/api/cart/checkout", json={
                        "billing": billing,
"terms_version": TERMS_VERSION, "payment_method": "bank_transfer"},
                        headers={**h, "Idempotency-Key": uuid.uuid4().hex})
                    assert r.status_code == 202, r.text
                    t1 = time.perf_counter()
                    path = f"/api/orders/{r.json()['order_id']}"
                    while (await api.get(path, headers=h)).status_code != 200:
                        if time.perf_counter() - t1 > 30:
                            raise RuntimeError("order never visible")
                        await asyncio.sleep(0.005)
                    accepted_ms.append((t1 - t0) * 1000)
                    visible_ms.append((time.perf_counter() - t1) * 1000)

                start, tasks = time.perf_counter(), []
                for i, h in enumerate(customers):
                    delay = start + i / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.create_task(one(h)))
                await asyncio.gather(*tasks)
        return (f"| {rate:g}/s, {count} checkouts | {pct(accepted_ms, 50):.1f} | "
                f"{pct(accepted_ms, 99):.1f} | {pct(visible_ms, 50):.1f} | {pct(visible_ms, 99):.1f} |")
    finally:
        await drop_run(settings)


async def limits(count: int) -> list[str]:
    """3. Rate limits: one decision by the in-process buckets vs one by the Redis script shared
    by every replica (a round trip on loopback), as the gateway makes it, `count` times each."""
    from sportello.settings import Settings
    from sportello_gateway.ratelimit import RateLimits, SharedRateLimits

    per_minute = {"login": 10**9}  # never limited: measure the decision, not the 429
    settings = Settings()
    local = RateLimits(per_minute, 10**9)
    shared = SharedRateLimits(per_minute, 10**9, settings.redis_url,
                              f"bench{uuid.uuid4().hex[:8]}:")
    rows = []
    try:
        for name, limiter in (("in process", local), ("Redis (shared)", shared)):
            times = []
            for i in range(count):
                start = time.perf_counter()
                await limiter.acheck("login", f"10.0.{i % 250}.{i % 7}")
                times.append((time.perf_counter() - start) * 1000)
            rows.append(f"| {name} | {pct(times, 50):.3f} | {pct(times, 99):.3f} | "
                        f"{count / (sum(times) / 1000):,.0f} |")
        keys = [k async for k in shared.redis.scan_iter(match=f"{shared.prefix}*")]
        if keys:
            await shared.redis.delete(*keys)
    finally:
        await shared.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wrk-seconds", type=int, default=8)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--checkouts", type=int, default=200)
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--limits", type=int, default=20000, help="decisions per limiter; 0 skips")
    args = parser.parse_args()
    print("| connections | direct req/s | direct p50 ms | direct p99 ms | bare hop req/s (of direct) | "
          "bare hop p50 added | gateway req/s (of direct) | gateway p50 ms | gateway p99 ms | "
          "gateway p50 added | gateway p99 added | non-2xx |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for line in hop(args.wrk_seconds):
        print(line, flush=True)
    if not args.skip_e2e:
        print()
        print("| load | checkout 202 p50 ms | checkout 202 p99 ms | 202 → order visible p50 ms | "
              "202 → order visible p99 ms |")
        print("|---|---|---|---|---|")
        print(asyncio.run(end_to_end(args.rate, args.checkouts)), flush=True)
    if args.limits:
        print()
        print("| limiter | decision p50 ms | decision p99 ms | decisions/s (one at a time) |")
        print("|---|---|---|---|")
        for line in asyncio.run(limits(args.limits)):
            print(line, flush=True)


if __name__ == "__main__":
    main()
