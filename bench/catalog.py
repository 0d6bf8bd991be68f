"""Catalog hot reads next to a bare FastAPI route, in the same run (issue 5).

    uv run python bench/catalog.py [--duration 8] [--rounds 2] [--connections 32]

Loads the demo catalog into one scratch database and 10× the demo catalog into another, starts a
catalog service on each (`sportello serve catalog`, uvicorn 1 worker, uvloop + httptools) and a
bare FastAPI app with one small JSON route, on free ports, and drives each with
`wrk -t1 -cN -dS --latency` in turn: bare, service detail, category list, category page, and the
uncached text search for contrast, on both sizes. Each round runs every target once (interleaved,
so noise from other work on the machine falls on all alike); the table gives the median of rounds.
Needs wrk (`apt-get install wrk`), PostgreSQL and RabbitMQ. Drops its database at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid

import httpx
from sportello.db import drop_database
from sportello.settings import Settings
from sportello.testing.processes import free_port, settings_env, wait_http


def bare_app():
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/bare")
    async def bare():
        return {"slug": "bare", "name": "Bare FastAPI", "price_from_cents": 1000}

    return app


def serve_bare(port: int) -> None:
    import uvicorn

    uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False,
                loop="uvloop", http="httptools")


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, duration: int, connections: int) -> tuple[float, float, float]:
    """(req/s, p50 ms, p99 ms) of one wrk run; refuses a run with errors or non-2xx answers."""
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or re.search(r"Socket errors: connect [1-9]|read [1-9]|write [1-9]", out):
        raise RuntimeError(f"wrk saw errors on {url}:\n{out}")
    # wrk counts a request slower than 2 s as a "timeout": keep it in the report, not an abort.
    timeouts = re.search(r"timeout (\d+)", out)
    if timeouts:
        print(f"note: {timeouts.group(1)} requests over 2 s on {url}", file=sys.stderr)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1))
    return rps, p50, p99


def measure(targets: dict[str, str], rounds: int, duration: int, connections: int) -> dict[str, tuple]:
    runs: dict[str, list[tuple]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, url in targets.items():
            httpx.get(url, timeout=5).raise_for_status()  # warm (fills the cache)
            runs[name].append(wrk(url, duration, connections))
            print(f"{name}: {runs[name][-1][0]:,.0f} req/s, p50 {runs[name][-1][1]:.2f} ms, "
                  f"p99 {runs[name][-1][2]:.2f} ms", file=sys.stderr)
    return {name: tuple(statistics.median(r[i] for r in rs) for i in range(3)) for name, rs in runs.items()}


def table(title: str, results: dict[str, tuple], bare: str = "bare FastAPI route") -> str:
    floor = results[bare][0]
    lines = [f"**{title}**", "", "| route | req/s | vs bare | p50 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    for name, (rps, p50, p99) in results.items():
        lines.append(f"| {name} | {rps:,.0f} | {rps / floor:.0%} | {p50:.2f} | {p99:.2f} |")
    return "\n".join(lines)


async def load_demo(settings: Settings, scale: int) -> None:
    from sportello.observability import configure_logging
    from sportello_catalog.demo import load

    configure_logging("bench", "WARNING", json=False)
    await load(settings, scale)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        serve_bare(args.bare_server)
        return 0
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2

    run = uuid.uuid4().hex[:8]
    bare_port = free_port()
    # Two catalog processes, one on the demo catalog and one on 10× of it, measured in the same
    # interleaved rounds: machine noise then falls on both sizes alike.
    sizes = {"small": 1, "10×": 10}
    settings = {size: Settings(db_suffix=f"_bench{run}{i}", exchange=f"sportello.bench.{run}",
                               queue_prefix=f"b{run}.", catalog_url=f"http://127.0.0.1:{free_port()}",
                               log_level="WARNING")
                for i, size in enumerate(sizes)}
    for size, scale in sizes.items():
        asyncio.run(load_demo(settings[size], scale))
    # The relay warns about every unroutable event (nobody consumes here): keep that off the report.
    log = open(f"/tmp/bench-catalog-{run}.log", "wb")  # noqa: SIM115 - closed below
    procs = [subprocess.Popen([sys.executable, "-m", "sportello.cli", "serve", "catalog"],
                              env={**os.environ, **settings_env(s)}, stdout=log, stderr=subprocess.STDOUT)
             for s in settings.values()]
    procs.append(subprocess.Popen([sys.executable, __file__, "--bare-server", str(bare_port)],
                                  stdout=log, stderr=subprocess.STDOUT))
    try:
        bare = f"http://127.0.0.1:{bare_port}"
        wait_http(bare + "/bare", 60)
        targets = {"bare FastAPI route": f"{bare}/bare"}
        for size, s in settings.items():
            wait_http(s.catalog_url + "/healthz", 60)
            api = f"{s.catalog_url}/api/catalog"
            copy = "-7" if size != "small" else ""
            targets |= {
                f"{size}: GET /api/catalog/services/{{slug}}": f"{api}/services/traduzione-asseverata{copy}",
                f"{size}: GET /api/catalog/categories": f"{api}/categories",
                f"{size}: GET /api/catalog/categories/{{slug}}": f"{api}/categories/traduzioni{copy}",
                f"{size}: GET /api/catalog/services?q=traduzioni (uncached)": f"{api}/services?q=traduzioni",
            }
        results = measure(targets, args.rounds, args.duration, args.connections)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(15)
        log.close()
        for s in settings.values():
            asyncio.run(drop_database(s.database_url("catalog")))

    command = (f"uv run python bench/catalog.py --duration {args.duration} --rounds {args.rounds} "
               f"--connections {args.connections}")
    print(f"`{command}` — wrk -t1 -c{args.connections} -d{args.duration}s --latency, median of "
          f"{args.rounds} interleaved rounds, {time.strftime('%Y-%m-%d %H:%M')}, load average "
          f"{os.getloadavg()[0]:.1f} at the end\n")
    print(table("small = demo catalog (6 categories, 28 services); 10× = 60 categories, 280 services",
                results))
    print()
    floor = results["bare FastAPI route"][0]
    for route in ("GET /api/catalog/services/{slug}", "GET /api/catalog/categories"):
        small, large = results[f"small: {route}"], results[f"10×: {route}"]
        print(f"- {route}: req/s vs bare {small[0] / floor:.0%} small, {large[0] / floor:.0%} 10×; "
              f"p99 10× / small = {large[2] / small[2]:.2f}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
