"""Gateway CPU per proxied request, for one or more checkouts side by side.

    uv run python bench/gateway_cpu.py [--rounds 10] [--seconds 2] [--connections 32] CHECKOUT...

Each CHECKOUT (a worktree with its own synced .venv, e.g. main's and a branch's) runs
`sportello serve gateway` in front of one bare FastAPI app (bench/gateway.py's); wrk alternates
between the gateways, and the gateway process's utime+stime (from /proc) over a run divided by
its requests is its CPU per request: a figure that holds on a busy machine, unlike req/s.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from sportello.testing.processes import free_port, wait_http

sys.path.insert(0, str(Path(__file__).parent))
from gateway import BARE_APP  # noqa: E402

PATH = "/api/catalog/ping"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, connections: str, seconds: str) -> tuple[int, float]:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(out)
    return (int(re.search(r"(\d+) requests in", out).group(1)),
            float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", default="2")
    parser.add_argument("--connections", default="32")
    parser.add_argument("checkouts", nargs="+")
    args = parser.parse_args()
    trees = {Path(c).resolve().name: Path(c).resolve() for c in args.checkouts}

    work = Path(tempfile.mkdtemp(prefix="bench-gwcpu-"))
    (work / "bare_app.py").write_text(BARE_APP)
    up = free_port()
    env = {**os.environ, "SPORTELLO_CATALOG_URL": f"http://127.0.0.1:{up}",
           "SPORTELLO_LOG_LEVEL": "WARNING", "SPORTELLO_RATE_GLOBAL_PER_SECOND": "10000000"}
    procs = [subprocess.Popen([sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(up),
                               "--loop", "uvloop", "--http", "httptools", "--log-level", "warning",
                               "--no-access-log"], cwd=work, env=env)]
    urls, pids = {}, {}
    for name, tree in trees.items():
        port = free_port()
        gateway = subprocess.Popen([str(tree / ".venv/bin/python"), "-m", "sportello.cli", "serve",
                                    "gateway"], cwd=tree, stdout=subprocess.DEVNULL,
                                   env={**env, "SPORTELLO_GATEWAY_URL": f"http://127.0.0.1:{port}"})
        procs.append(gateway)
        urls[name], pids[name] = f"http://127.0.0.1:{port}{PATH}", gateway.pid
    try:
        wait_http(f"http://127.0.0.1:{up}/healthz")
        for url in urls.values():
            wait_http(url.replace(PATH, "/healthz"))
            wrk(url, "32", "2")                                  # warm the pool and caches
        cpu = {name: [] for name in trees}
        rps = {name: [] for name in trees}
        for r in range(args.rounds):
            order = list(trees) if r % 2 == 0 else list(reversed(trees))   # noise hits all alike
            for name in order:
                before = cpu_seconds(pids[name])
                requests, per_second = wrk(urls[name], args.connections, args.seconds)
                cpu[name].append(1e6 * (cpu_seconds(pids[name]) - before) / requests)
                rps[name].append(per_second)
        for name in trees:
            print(f"{name:14s} c={args.connections}: median {statistics.median(cpu[name]):.0f} µs CPU/request"
                  f" (min {min(cpu[name]):.0f}; median {statistics.median(rps[name]):,.0f} req/s)")
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


if __name__ == "__main__":
    main()
