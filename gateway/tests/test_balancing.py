"""The gateway in front of two real replicas of a service: turns, and a killed replica skipped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import httpx
from sportello.testing import wait_for
from sportello.testing.processes import free_port

CART = {"X-Cart-Token": "t"}


@contextmanager
def replica(name: str):
    """`uvicorn replica_app:app` as a child process on a free port; yields (url, process)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "replica_app:app", "--port", str(port),
         "--log-level", "warning"],
        cwd=Path(__file__).parent, env={**os.environ, "REPLICA": name})
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def up(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


async def test_requests_take_turns_and_a_killed_replica_costs_no_client_an_error(gateway_factory):
    with replica("a") as (url_a, a), replica("b") as (url_b, b):
        await wait_for(lambda: up(url_a) and up(url_b), timeout=20, message="both replicas up")
        async with gateway_factory(cart_urls=[url_a, url_b], breaker_failures=2,
                                   breaker_open_seconds=30) as gw:
            answers = [(await gw.get("/api/cart", headers=CART)).json()["replica"]
                       for _ in range(20)]
            assert Counter(answers) == {"a": 10, "b": 10}
            assert answers[:4] in (["a", "b", "a", "b"], ["b", "a", "b", "a"])

            a.send_signal(signal.SIGKILL)
            a.wait(10)
            # Reads and writes alike: a refused connection never reached the replica, so the
            # gateway hands the request to the other one; every client gets its answer.
            replies = []
            for i in range(30):
                if i % 2:
                    r = await gw.post("/api/cart/items", headers=CART, json={"n": i})
                else:
                    r = await gw.get("/api/cart", headers=CART)
                replies.append(r)
            assert [r.status_code for r in replies] == [200] * 30
            assert {r.json()["replica"] for r in replies} == {"b"}
            assert [r.json()["body"] for r in replies[1::2]] == [
                f'{{"n":{i}}}' for i in range(1, 30, 2)]
            # After two refusals the dead replica is skipped: no connect attempt per request.
            dead = gw.gateway.proxy.replicas["cart"].upstreams[0]
            assert dead.base == url_a and dead.failures == 2 and dead.open_until > 0


async def test_every_replica_down_is_503_with_a_retry_hint(gateway_factory):
    async with gateway_factory(cart_urls=[f"http://127.0.0.1:{free_port()}",
                                          f"http://127.0.0.1:{free_port()}"],
                               breaker_failures=1) as gw:
        first = await gw.get("/api/cart", headers=CART)
        assert first.status_code == 502  # both refused this request
        second = await gw.get("/api/cart", headers=CART)
        assert second.status_code == 503 and int(second.headers["retry-after"]) >= 1
