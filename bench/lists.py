"""Flat cost of the lists (issue 24, item 4): the same list pages with 1,000 and with 100,000 rows.

    uv run python bench/lists.py [--small 1000] [--large 100000] [--seconds 5] [--connections 8]

Orders and quotes run as real processes (`sportello serve`, uvicorn 1 worker) on databases and a
broker exchange of this run. One order and one quote are made the way production makes them (a
`cart.checked_out` / `quote_cart.submitted` event through the service's consumer); the rest are
copies of them made in SQL (new ids, numbers and times, every column copied whatever the schema
holds), 1 % of them belonging to the measured customer and 10 % in the status the filtered staff
list asks for. Then `wrk --latency` drives, in turn, each first page at `--small` rows, the table
is grown to `--large`, ANALYZEd, and the same pages are driven again. The bare FastAPI route of
the same uvicorn settings is the floor of the run.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import asyncpg
from sportello.cli import services
from sportello.db import ensure_database, upgrade_async
from sportello.testing import bearer, publish_event, wait_for
from sportello.testing.processes import STARTED, Process, free_port, wait_http
from sportello.testing.run import _run_settings, drop_run

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import BARE_APP, wrk  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "orders" / "tests"))
from orders_testkit import checkout  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "quotes" / "tests"))
from conftest import Quotes  # noqa: E402 — the quotes tests' builder of a request

STAFF_STATUS = "awaiting_payment"  # the filtered staff list: what staff look for among the rest


def bare_app() -> tuple[subprocess.Popen, str]:
    """The floor: a bare FastAPI GET on the same uvicorn settings as the services."""
    work = Path(tempfile.mkdtemp(prefix="bench-lists-"))
    (work / "bare_app.py").write_text(BARE_APP)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port),
                             "--loop", "uvloop", "--http", "httptools", "--log-level", "warning",
                             "--no-access-log"], cwd=work)
    url = f"http://127.0.0.1:{port}/api/catalog/ping"
    wait_http(url)
    return proc, url


async def columns(conn: asyncpg.Connection, table: str) -> list[str]:
    return [r["column_name"] for r in await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
        "AND is_identity = 'NO' ORDER BY ordinal_position", table)]


async def copy_rows(conn: asyncpg.Connection, table: str, key: str, template: str,
                    replace: dict[str, str], copies: str) -> None:
    """INSERT copies of the template's rows of `table` (where `key` = the template id), each
    column copied except those `replace` computes from the copy's number `n` and new id `new_id`."""
    cols = await columns(conn, table)
    exprs = [replace.get(c, f"t.{c}") for c in cols]
    await conn.execute(
        f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} "
        f"FROM {table} t JOIN ({copies}) c ON true WHERE t.{key} = $1::uuid", template)


async def numbered_copies(dsn: str, start: int, stop: int) -> tuple[asyncpg.Connection, str]:
    """A connection with the copies `start`..`stop - 1` (n, new_id) and the query that reads them."""
    conn = await asyncpg.connect(dsn)
    await conn.execute("CREATE TEMP TABLE copies AS SELECT n, gen_random_uuid() AS new_id "
                       f"FROM generate_series({start}, {stop - 1}) n")
    return conn, "SELECT n, new_id FROM copies"


async def grow_orders(dsn: str, template: str, customer: uuid.UUID, start: int, stop: int) -> None:
    conn, copies = await numbered_copies(dsn, start, stop)
    try:
        placed = "now() - make_interval(secs => c.n)"
        await copy_rows(conn, "orders", "id", template, {
            "id": "c.new_id",
            "number": "'B-' || lpad(c.n::text, 7, '0')",
            "customer_id": f"CASE WHEN c.n % 100 = 0 THEN '{customer}'::uuid "
                           "ELSE md5(c.n::text)::uuid END",
            "status": f"CASE WHEN c.n % 10 = 0 THEN '{STAFF_STATUS}' ELSE 'completed' END",
            "placed_at": placed, "updated_at": placed,
        }, copies)
        await copy_rows(conn, "order_lines", "order_id", template,
                        {"order_id": "c.new_id", "line_id": "gen_random_uuid()"}, copies)
        await copy_rows(conn, "order_status_history", "order_id", template,
                        {"order_id": "c.new_id"}, copies)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def grow_quotes(dsn: str, template: str, start: int, stop: int) -> None:
    conn, copies = await numbered_copies(dsn, start, stop)
    try:
        created = "now() - make_interval(secs => c.n)"
        await copy_rows(conn, "quotes", "id", template, {
            "id": "c.new_id", "number": "'BQ-' || lpad(c.n::text, 7, '0')",
            "customer_id": "md5(c.n::text)::uuid",
            "status": "CASE WHEN c.n % 10 = 0 THEN 'requested' ELSE 'ordered' END",
            "created_at": created, "updated_at": created,
        }, copies)
        for table in ("quote_lines", "quote_status_history"):
            await copy_rows(conn, table, "quote_id", template, {"quote_id": "c.new_id"}, copies)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def run(args) -> None:
    settings = _run_settings(Path(tempfile.mkdtemp(prefix="sportello-lists-")), {})
    known = services()
    procs = {}
    bare_proc = None
    try:
        for name in ("orders", "quotes"):
            await ensure_database(settings.database_url(name))
            await upgrade_async(known[name].migrations, settings.database_url(name))
            own = settings.model_copy(update={f"{name}_url": f"http://127.0.0.1:{free_port()}"})
            log_dir = Path(tempfile.mkdtemp(prefix=f"sportello-lists-{name}-"))
            procs[name] = (Process(name, own, log_dir, {}), getattr(own, f"{name}_url"))
        await asyncio.gather(*(p.wait_healthy(60) for p, _ in procs.values()))
        bare_proc, bare = bare_app()

        customer = uuid.uuid4()
        order = checkout(customer_id=customer, method="bank_transfer")
        await publish_event(settings, "cart.checked_out", order, producer="cart")
        request = Quotes(None, settings).request()
        await publish_event(settings, "quote_cart.submitted", request, producer="cart")
        orders_dsn = settings.database_url("orders").replace("+asyncpg", "")
        quotes_dsn = settings.database_url("quotes").replace("+asyncpg", "")

        async def made(dsn: str, table: str, row_id) -> bool:
            conn = await asyncpg.connect(dsn)
            try:
                return bool(await conn.fetchval(f"SELECT count(*) FROM {table} WHERE id = $1",
                                                row_id))
            finally:
                await conn.close()

        await wait_for(lambda: made(orders_dsn, "orders", order.order_id), timeout=30,
                       message="template order")
        await wait_for(lambda: made(quotes_dsn, "quotes", request.quote_id), timeout=30,
                       message="template quote")

        def auth(h: dict) -> str:
            return h["Authorization"]

        targets = [
            ("customer: GET /api/orders", procs["orders"][1] + "/api/orders",
             auth(bearer(settings, customer))),
            ("staff: GET /api/staff/orders", procs["orders"][1] + "/api/staff/orders",
             auth(bearer(settings, role="staff"))),
            (f"staff: GET /api/staff/orders?status={STAFF_STATUS}",
             procs["orders"][1] + f"/api/staff/orders?status={STAFF_STATUS}",
             auth(bearer(settings, role="staff"))),
            ("staff: GET /api/staff/quotes?status=requested",
             procs["quotes"][1] + "/api/staff/quotes?status=requested",
             auth(bearer(settings, role="staff"))),
        ]
        rows: dict[str, dict[int, dict]] = {}
        have = 1
        for size in (args.small, args.large):
            await grow_orders(orders_dsn, str(order.order_id), customer, have, size)
            await grow_quotes(quotes_dsn, str(request.quote_id), have, size)
            have = size
            rows.setdefault("bare FastAPI GET (floor)", {})[size] = wrk(
                bare, args.connections, args.seconds)
            for label, url, header in targets:
                rows.setdefault(label, {})[size] = wrk(url, args.connections, args.seconds,
                                                        header=f"Authorization: {header}")
        print(f"| list (first page, {args.connections} connections) | req/s at {args.small:,} | "
              f"p99 ms at {args.small:,} | req/s at {args.large:,} | p99 ms at {args.large:,} | "
              "p99 ratio | non-2xx |")
        print("|---|---|---|---|---|---|---|")
        for label, by_size in rows.items():
            s, big = by_size[args.small], by_size[args.large]
            print(f"| {label} | {s['rps']:,.0f} | {s['p99']:.2f} | {big['rps']:,.0f} | "
                  f"{big['p99']:.2f} | {big['p99'] / s['p99']:.2f} | {s['non2xx'] + big['non2xx']} |")
    finally:
        if bare_proc is not None:
            bare_proc.terminate()
        while STARTED:
            STARTED.pop().stop()
        await drop_run(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
