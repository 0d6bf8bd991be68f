"""Accounts benchmark: logins/s through the running service, and the cost of verifying a token.

Measured in one run, next to the floors of the same run:
  - logins: `sportello serve accounts` (uvicorn, uvloop, httptools) on a free port with the
    production argon2id parameters, driven by an aiohttp client at concurrency 1 and 4;
    floors: the bare argon2id verify of the same parameters in this process (1 and 2 threads),
    and GET /healthz of the same server (the HTTP stack without the work);
  - token verification: `TokenVerifier.verify` (µs/op, timeit-style: best of repeats), next to
    the bare Ed25519 signature check of the same token and PyJWT's decode alone.

    uv run python bench/accounts.py [--seconds 8]

It uses the local PostgreSQL and RabbitMQ with a database, an exchange and keys of its own,
dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import tempfile
import time
import timeit
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
import jwt
from sportello.auth import TokenVerifier
from sportello.keys import generate_key, load_public_keys
from sportello.settings import Settings
from sportello.testing.processes import serve_processes
from sportello.testing.run import drop_run
from sportello.tokens import TokenIssuer
from sportello_accounts.passwords import Passwords
from sportello_accounts.settings import AccountsSettings

PASSWORD = "una-password-robusta-per-il-bench-1"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def drive(session: aiohttp.ClientSession, concurrency: int, seconds: float, request):
    """Keep `concurrency` requests in flight for `seconds`: (requests/s, latencies ms)."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker(n: int):
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            await request(session, n)
            latencies.append((time.perf_counter() - t0) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return len(latencies) / (time.perf_counter() - start), latencies


def argon2_floor(settings: AccountsSettings, threads: int, seconds: float) -> float:
    """Bare argon2id verifications per second with the service's parameters."""
    passwords = Passwords(settings)
    stored = passwords._hash.hash(PASSWORD)
    done = 0
    deadline = time.perf_counter() + seconds

    def loop():
        nonlocal done
        while time.perf_counter() < deadline:
            assert passwords._hash.verify(PASSWORD, stored)
            done += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for f in [pool.submit(loop) for _ in range(threads)]:
            f.result()
    return done / (time.perf_counter() - start)


def per_op_us(fns: dict, number: int = 2000, repeat: int = 7) -> dict[str, float]:
    """timeit-style: the best of `repeat` runs of `number` calls, in µs per call. The functions
    take turns in each round, so a burst of load on this shared machine hits them all alike."""
    best = {name: float("inf") for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            best[name] = min(best[name], timeit.timeit(fn, number=number) / number * 1e6)
    return best


def verification(settings) -> dict[str, float]:
    token = TokenIssuer(settings).access_token(uuid.uuid4(), "customer", "a@example.com",
                                               extra_claims={"sid": str(uuid.uuid4())})
    verifier = TokenVerifier(settings)
    kid = jwt.get_unverified_header(token)["kid"]
    public = load_public_keys(settings.jwt_keys_dir)[kid]
    signing_input, _, sig = token.rpartition(".")
    signature = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    data = signing_input.encode()
    verifier.verify(token)
    return per_op_us({
        "verify": lambda: verifier.verify(token),
        "pyjwt": lambda: jwt.decode(token, public, algorithms=["EdDSA"],
                                    audience=settings.jwt_audience),
        "ed25519": lambda: public.verify(signature, data),
    })


def bench_settings() -> Settings:
    """A database, exchange and signing key of this run only (like a test run's)."""
    run = uuid.uuid4().hex[:8]
    keys = Path(tempfile.mkdtemp(prefix="sportello-bench-")) / "keys"
    generate_key(keys)
    return Settings(db_suffix=f"_b{run}", exchange=f"sportello.bench.{run}",
                    queue_prefix=f"b{run}.", jwt_keys_dir=keys, jwt_public_keys=None,
                    jobs_enabled=False, log_json=False, log_level="WARNING")


async def main(seconds: float) -> None:
    base = bench_settings()
    # The service reads its own settings from the environment: production argon2 parameters.
    prod = AccountsSettings(**base.model_dump())
    print(f"argon2id t={prod.argon2_time_cost} m={prod.argon2_memory_cost} KiB "
          f"p={prod.argon2_parallelism}", flush=True)
    results: dict[str, object] = {"load": (f"{os.getloadavg()[0]:.1f}",)}
    try:
        results["tokens"] = verification(base)
        async with serve_processes(base, ["accounts"]) as running:
            url = running.accounts_url
            async with aiohttp.ClientSession(url) as http:
                emails = [f"bench{n}.{uuid.uuid4().hex[:6]}@example.com" for n in range(8)]
                for email in emails:
                    r = await http.post("/api/accounts/register", json={
                        "email": email, "password": PASSWORD, "first_name": "Bench",
                        "last_name": "Mark", "privacy_accepted": True})
                    assert r.status == 201, await r.text()

                async def one_login(s, n):
                    async with s.post("/api/accounts/login",
                                      json={"email": emails[n % len(emails)],
                                            "password": PASSWORD}) as r:
                        assert r.status == 200, await r.text()
                        await r.read()

                async def healthz(s, n):
                    async with s.get("/healthz") as r:
                        await r.read()

                await drive(http, 2, 1.0, one_login)  # warm-up: pools, first hashes
                for c in (1, 4):
                    # The floor right before the measure: the load of the machine moves.
                    results[f"argon{c}"] = await asyncio.to_thread(
                        argon2_floor, prod, min(c, 2), seconds / 2)
                    results[f"login{c}"] = await drive(http, c, seconds, one_login)
                    results[f"health{c}"] = await drive(http, c, seconds / 2, healthz)
    finally:
        await drop_run(base)
    report(results, seconds)


def report(r: dict, seconds: float) -> None:
    t = r["tokens"]
    print(f"\n| measure (`uv run python bench/accounts.py --seconds {seconds:g}`) | figure |")
    print("|---|---|")
    print(f"| load average at the start / end | {r['load'][0]} / {os.getloadavg()[0]:.1f} |")
    for c in (1, 4):
        print(f"| floor: bare argon2id verify, {min(c, 2)} thread(s) | {r[f'argon{c}']:.1f} /s "
              f"({1000 / r[f'argon{c}']:.0f} ms each) |")
        rate, lat = r[f"login{c}"]
        hrate, hlat = r[f"health{c}"]
        print(f"| floor: GET /healthz, same server, {c} in flight | {hrate:,.0f} req/s; "
              f"p50 {pct(hlat, 50):.2f} ms |")
        floor = r[f"argon{c}"]
        print(f"| POST /api/accounts/login, {c} in flight | **{rate:.1f} logins/s** "
              f"({rate / floor:.0%} of the argon2 floor); p50 {pct(lat, 50):.0f} ms, "
              f"p99 {pct(lat, 99):.0f} ms (n={len(lat)}) |")
    print(f"| floor: Ed25519 signature check alone | {t['ed25519']:.1f} µs/op |")
    print(f"| floor: PyJWT decode (EdDSA, aud) | {t['pyjwt']:.1f} µs/op |")
    print(f"| `TokenVerifier.verify` (header, kid, claims, role, sub) | **{t['verify']:.1f} µs/op** "
          f"({t['verify'] / t['ed25519']:.1f}× the bare signature check) |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    asyncio.run(main(args.seconds))
