"""Page-load figures of the storefront against the whole system, as ratios to the gateway hop.

    uv run python storefront/scripts/measure_pages.py

Starts every process on free ports against throwaway databases (as the browser tests do), then
runs wrk on: the gateway answering the JSON a page needs, and the storefront rendering the page
from it (one more hop plus Jinja). Both measured in the same run, so the ratio holds on a noisy
machine. Everything it created is dropped at the end.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import tempfile
from pathlib import Path

from sportello.testing.run import _run_settings, drop_run
from sportello.testing.system import start_system

TARGETS = [
    ("gateway  GET /api/catalog/services/sito-vetrina", "gateway",
     "/api/catalog/services/sito-vetrina"),
    ("shop     GET /servizio/sito-vetrina (service page)", "storefront", "/servizio/sito-vetrina"),
    ("gateway  GET /api/catalog/categories", "gateway", "/api/catalog/categories"),
    ("shop     GET / (home)", "storefront", "/"),
]


def wrk(url: str, connections: int, seconds: int) -> dict[str, str]:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": errors.group(1) if errors else "0"}


async def main() -> None:
    settings = _run_settings(Path(tempfile.mkdtemp(prefix="sportello-measure-")), {})
    try:
        async with start_system(settings, {"SPORTELLO_LOG_LEVEL": "WARNING"}) as system:
            base = {"gateway": system.settings.gateway_url,
                    "storefront": system.settings.storefront_url}
            for connections, seconds in ((1, 5), (32, 8)):
                print(f"\nwrk -t1 -c{connections} -d{seconds}s --latency")
                rows = []
                for label, where, path in TARGETS:
                    r = await asyncio.to_thread(wrk, base[where] + path, connections, seconds)
                    rows.append((label, r))
                    print(f"  {label:52} {r['rps']:>9} req/s  p50 {r['p50']:>8}  "
                          f"p99 {r['p99']:>8}  non-2xx {r['non2xx']}")
                for i in (0, 2):
                    api, page = float(rows[i][1]["rps"]), float(rows[i + 1][1]["rps"])
                    print(f"  → {rows[i + 1][0].split('(')[0].strip()}: {page / api:.2f}× the "
                          f"gateway's throughput for the same data")
    finally:
        await drop_run(settings)


if __name__ == "__main__":
    asyncio.run(main())
