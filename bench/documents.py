"""Documents benchmark: a 20 MB upload through the gateway, next to writing the same bytes to disk.

    uv run python bench/documents.py [--size-mb 20] [--rounds 10]

documents and the gateway run as real processes (`sportello serve`) on this run's database, the
store a directory on this machine's disk. Each round, alternating: the floor writes the bytes to a
file in the same directory (open, write, close: what a local object store does, no fsync), then an
anonymous visitor POSTs the same size of new random bytes as multipart to /api/documents through
the gateway (streamed there, spooled by the service, hashed, typed and renamed into the store, its
row committed) and reads the 201; then the same straight to the documents process (what the hop
adds). Printed: p50 and best of each, MB/s, and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sportello.testing.processes import serve_processes
from sportello.testing.run import _run_settings, drop_run


def write_floor(directory: Path, body: bytes) -> float:
    path = directory / f"floor-{uuid.uuid4().hex}"
    start = time.perf_counter()
    with open(path, "wb") as f:
        f.write(body)
    elapsed = time.perf_counter() - start
    path.unlink()
    return elapsed


async def upload(client: httpx.AsyncClient, body: bytes) -> float:
    """One upload as an anonymous cart visitor (a new one each time: no draft quota reached)."""
    headers = {"X-Cart-Token": uuid.uuid4().hex * 2}
    start = time.perf_counter()
    r = await client.post("/api/documents", headers=headers,
                          files={"file": ("atto.pdf", body, "application/pdf")})
    elapsed = time.perf_counter() - start
    assert r.status_code == 201, r.text
    assert r.json()["size_bytes"] == len(body)
    return elapsed


async def main(size_mb: int, rounds: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    settings = _run_settings(tmp, {})
    env = {"SPORTELLO_RATE_UPLOAD_PER_MINUTE": "100000", "SPORTELLO_LOG_LEVEL": "WARNING"}
    size = size_mb * 1_048_576
    floors, uploads, direct = [], [], []
    try:
        async with serve_processes(settings, ["documents", "gateway"], env) as running:
            store = Path(running.data_dir) / "documents"
            store.mkdir(parents=True, exist_ok=True)
            async with httpx.AsyncClient(base_url=running.gateway_url, timeout=120) as client, \
                    httpx.AsyncClient(base_url=running.documents_url, timeout=120) as service:
                await upload(client, b"%PDF-1.7\n" + os.urandom(1000))      # warm up
                for _ in range(rounds):
                    body = b"%PDF-1.7\n" + os.urandom(size - 9)
                    floors.append(write_floor(store, body))
                    uploads.append(await upload(client, b"%PDF-1.7\n" + os.urandom(size - 9)))
                    direct.append(await upload(service, b"%PDF-1.7\n" + os.urandom(size - 9)))
    finally:
        await drop_run(settings)

    def line(name: str, times: list[float]) -> str:
        p50, best = statistics.median(times), min(times)
        return (f"{name:<34} p50 {p50 * 1000:8.1f} ms  best {best * 1000:8.1f} ms  "
                f"{size_mb / p50:7.1f} MB/s")

    print(f"{size_mb} MB, {rounds} rounds, load {os.getloadavg()[0]:.2f}")
    print(line("write to disk (floor)", floors))
    print(line("upload through the gateway", uploads))
    print(line("upload straight to documents", direct))
    print(f"upload / floor at p50: {statistics.median(uploads) / statistics.median(floors):.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.size_mb, args.rounds))
