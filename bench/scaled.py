"""The whole system with 2 replicas of every service, under faults (issue 25, item 6).

    uv run python bench/scaled.py [--checkouts 200] [--concurrency 8]
                                  [--rabbitmq-node NAME --amqp-url amqp://guest:guest@127.0.0.1:5673/]

Every service runs twice (`sportello serve`, own ports) behind one gateway given both replicas
(`SPORTELLO_<SERVICE>_URLS`), with the SMTP sink and the sandbox provider, on databases and
queues of this run. `--checkouts` customers each register, put one service in the cart and check
out by bank transfer. A third of the way in, one replica each of cart, orders and notifications
is killed (SIGKILL); two thirds of the way in, RabbitMQ is restarted (`rabbitmqctl -n NAME
stop_app` then `start_app`) — only with `--rabbitmq-node`, a node of your own: never restart a
broker other people use. Start one with (its own config: the machine's names port 5672)

    mkdir -p /tmp/proof && echo 'listeners.tcp.default = 127.0.0.1:5673' > /tmp/proof/rabbitmq.conf
    echo '[].' > /tmp/proof/enabled_plugins
    RABBITMQ_CONFIG_FILE=/tmp/proof/rabbitmq.conf RABBITMQ_ENABLED_PLUGINS_FILE=/tmp/proof/enabled_plugins \
        RABBITMQ_NODENAME=proof RABBITMQ_NODE_PORT=5673 RABBITMQ_DIST_PORT=25673 \
        RABBITMQ_MNESIA_BASE=/tmp/proof-mnesia RABBITMQ_LOG_BASE=/tmp/proof-log \
        rabbitmq-server -detached

Then it waits for every order and its "Ordine … ricevuto" email and prints: orders placed, orders
visible, emails (and duplicates; each to the account's address or, when the account had not
reached the cart yet, to the billing one), dead letters, and what clients saw other than success
(503s the client retried, anything else). Expected: N orders, N emails, at most one duplicate per killed
notifications replica, no dead letter, nothing but retried 503s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import aio_pika
import httpx
from sportello.cli import services
from sportello.contracts.legal import TERMS_VERSION
from sportello.db import ensure_database, upgrade_async
from sportello.settings import SERVICES
from sportello.testing.processes import STARTED, Process, free_port
from sportello.testing.run import _run_settings, drop_run
from sportello.testing.system import GENEROUS_LIMITS, run_command

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from journeys_kit import BILLING, DICHIARAZIONE, PASSWORD  # noqa: E402

KILLED = ("cart", "orders", "notifications")


async def start(settings, log_dir: Path) -> dict[str, list[Process]]:
    known = services()
    for name in SERVICES:
        if known[name].migrations is not None:
            await ensure_database(settings.database_url(name))
            await upgrade_async(known[name].migrations, settings.database_url(name))
    procs: dict[str, list[Process]] = {}
    urls: dict[str, list[str]] = {}
    for name in SERVICES:
        for i in (1, 2):
            own = settings.model_copy(update={f"{name}_url": f"http://127.0.0.1:{free_port()}"})
            (log_dir / f"{name}-{i}").mkdir()
            procs.setdefault(name, []).append(Process(name, own, log_dir / f"{name}-{i}", {}))
            urls.setdefault(name, []).append(getattr(own, f"{name}_url"))
    procs["mailsink"] = [Process("mailsink", settings, log_dir, {})]
    procs["payments-sandbox"] = [Process("payments-sandbox", settings, log_dir, {})]
    gateway_env = {**GENEROUS_LIMITS,
                   **{f"SPORTELLO_{s.upper()}_URLS": json.dumps(u) for s, u in urls.items()}}
    procs["gateway"] = [Process("gateway", settings, log_dir, gateway_env)]
    await asyncio.gather(*(p.wait_healthy() for ps in procs.values() for p in ps))
    return procs


async def customer_checks_out(api: httpx.AsyncClient, seen: Counter) -> tuple | None:
    """One customer's journey: (email, order id, auth headers), None if it met a real error."""

    async def call(method: str, path: str, expect: int, **kw) -> httpx.Response | None:
        for _ in range(40):
            try:
                r = await api.request(method, path, **kw)
            except httpx.HTTPError as e:
                seen[f"transport {type(e).__name__}"] += 1
                return None
            if r.status_code == 503:  # what a client is told to retry (Retry-After)
                seen["503 retried"] += 1
                await asyncio.sleep(float(r.headers.get("retry-after", "1")))
                continue
            if r.status_code != expect:
                seen[f"{method} {path.split('/')[2]} {r.status_code}"] += 1
                return None
            return r
        seen["503 forty times"] += 1
        return None

    email = f"proof-{uuid.uuid4().hex[:12]}@example.com"
    if not await call("POST", "/api/accounts/register", 201, json={
            "email": email, "password": PASSWORD, "first_name": "Mario", "last_name": "Rossi",
            "privacy_accepted": True}):
        return None
    login = await call("POST", "/api/accounts/login", 200,
                       json={"email": email, "password": PASSWORD})
    if login is None:
        return None
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    if not await call("POST", "/api/cart/items", 201, headers=auth, json={
            "service_slug": DICHIARAZIONE, "answers": {"modello": "730"}, "quantity": 1}):
        return None
    # One Idempotency-Key for every try: a retried checkout is the same checkout.
    placed = await call("POST", "/api/cart/checkout", 202,
                        headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
                        json={"billing": BILLING,
                              "terms_version": TERMS_VERSION, "payment_method": "bank_transfer"})
    if placed is None:
        return None
    seen["checkout 202"] += 1
    return email, placed.json()["order_id"], auth


async def dead_letters(settings) -> dict[str, int]:
    connection = await aio_pika.connect(settings.amqp_url)
    counts = {}
    async with connection:
        for name in SERVICES:
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(f"{settings.queue_name(name)}.dead",
                                                    passive=True)
                counts[name] = queue.declaration_result.message_count
            except aio_pika.exceptions.ChannelClosed:
                pass  # a service that consumes nothing has no queue
    return counts


async def missing(settings, orders: list[str]) -> list[str]:
    """Where each order without its email stopped: its outbox row in orders, its row in notifications."""
    import asyncpg

    lines = []
    dsn = lambda name: settings.database_url(name).replace("+asyncpg", "")  # noqa: E731
    c, o, n = [await asyncpg.connect(dsn(s)) for s in ("cart", "orders", "notifications")]
    outbox = ("SELECT event_type, created_at, published_at, parked_at, attempts FROM outbox "
              "WHERE envelope->'data'->>'order_id' = $1")
    try:
        for order_id in orders:
            emails = await n.fetch(
                "SELECT template, status, attempts, created_at, sent_at FROM notifications "
                "WHERE order_id = $1::uuid AND audience = 'customer'", order_id)
            lines.append(f"order {order_id}: cart outbox {[dict(r) for r in await c.fetch(outbox, order_id)]}"
                         f" orders outbox {[dict(r) for r in await o.fetch(outbox, order_id)]}"
                         f" emails {[dict(r) for r in emails]}")
    finally:
        for conn in (c, o, n):
            await conn.close()
    return lines


async def run(args) -> None:
    servers = {"amqp_url": args.amqp_url} if args.amqp_url else {}
    settings = _run_settings(Path(tempfile.mkdtemp(prefix="sportello-proof-")), servers)
    settings = settings.model_copy(update={"jobs_enabled": True, "db_pool_size": 3,
                                           "gateway_url": f"http://127.0.0.1:{free_port()}",
                                           "mail_sink_url": f"http://127.0.0.1:{free_port()}",
                                           "smtp_port": free_port(),
                                           "payment_sandbox_url":
                                               f"http://127.0.0.1:{free_port()}"})
    log_dir = Path(tempfile.mkdtemp(prefix="sportello-proof-logs-"))
    seen: Counter = Counter()
    try:
        procs = await start(settings, log_dir)
        await asyncio.to_thread(run_command, settings, "demo-data")
        async with httpx.AsyncClient(base_url=settings.gateway_url, timeout=30) as api, \
                httpx.AsyncClient(base_url=settings.mail_sink_url, timeout=10) as sink:
            gate = asyncio.Semaphore(args.concurrency)
            started = 0

            async def one():
                nonlocal started
                async with gate:
                    started += 1
                    if started == args.checkouts // 3:
                        for name in KILLED:
                            procs[name][0].kill()
                        print(f"killed one replica of {', '.join(KILLED)} at "
                              f"{time.strftime('%H:%M:%S')}", flush=True)
                    if started == 2 * args.checkouts // 3 and args.rabbitmq_node:
                        for step in ("stop_app", "start_app"):
                            await asyncio.to_thread(
                                subprocess.run, ["rabbitmqctl", "-n", args.rabbitmq_node, step],
                                check=True, capture_output=True)
                        print(f"RabbitMQ restarted at {time.strftime('%H:%M:%S')}", flush=True)
                    return await customer_checks_out(api, seen)

            t0 = time.monotonic()
            placed = [p for p in await asyncio.gather(*(one() for _ in range(args.checkouts))) if p]

            async def settled():
                nonlocal to_billing
                visible, emails, to_billing = 0, Counter(), 0
                without.clear()
                for _email, order_id, auth in placed:
                    r = await api.get(f"/api/orders/{order_id}", headers=auth)
                    if r.status_code != 200:
                        continue
                    visible += 1
                    number = r.json()["number"]
                    # To the account's address, or to the billing one when the account had not
                    # reached the cart's contacts yet (cart's domain, `contact_from_billing`).
                    found = (await sink.get("/api/messages", params={
                        "subject": f"Ordine {number} ricevuto"})).json()["items"]
                    to_billing += any(BILLING["email"] in m["to"] for m in found)
                    emails[len(found)] += 1
                    if not found:
                        without.append(order_id)
                return visible, emails

            without: list[str] = []
            to_billing = 0

            print(f"every checkout answered at {time.strftime('%H:%M:%S')}", flush=True)
            deadline = time.monotonic() + 180
            while True:
                visible, emails = await settled()
                if (visible == len(placed) and not emails[0]) or time.monotonic() > deadline:
                    break
                await asyncio.sleep(1)
            elapsed = time.monotonic() - t0
            print(f"settled (or gave up) at {time.strftime('%H:%M:%S')}", flush=True)
            for order_id in without:  # what the sink holds under that order's number, to anyone
                r = await api.get(f"/api/orders/{order_id}",
                                  headers=next(a for _, o, a in placed if o == order_id))
                found = (await sink.get("/api/messages", params={
                    "subject": r.json()["number"]})).json()["items"]
                print(f"sink for {r.json()['number']}: "
                      f"{[(m['subject'], m['to'], m['envelope_to']) for m in found]}", file=sys.stderr)
            total = len((await sink.get("/api/messages")).json()["items"])
            print(f"sink holds {total} messages", file=sys.stderr)
        dead = await dead_letters(settings)
        for line in await missing(settings, without):
            print(line, file=sys.stderr)
        duplicates = sum((n - 1) * k for n, k in emails.items() if n > 1)
        print("| checkouts | orders visible | emails | duplicate emails | dead letters | "
              "client saw | seconds | broker restarted |")
        print("|---|---|---|---|---|---|---|---|")
        others = {k: v for k, v in seen.items() if k != "checkout 202"}
        sent = sum(n * k for n, k in emails.items())
        print(f"| {len(placed)}/{args.checkouts} | {visible} | {sent} ({to_billing} to the billing "
              f"address) | {duplicates} | {sum(dead.values())} | {dict(others) or 'only successes'} | "
              f"{elapsed:.0f} | {'yes' if args.rabbitmq_node else 'no (no --rabbitmq-node)'} |")
    finally:
        while STARTED:
            STARTED.pop().stop()
        await drop_run(settings)
        print(f"process logs: {log_dir}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkouts", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rabbitmq-node", help="a RabbitMQ node of your own, to restart")
    parser.add_argument("--amqp-url", help="that node's AMQP URL")
    args = parser.parse_args()
    if bool(args.rabbitmq_node) != bool(args.amqp_url):
        parser.error("--rabbitmq-node and --amqp-url go together")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
