"""Fixtures of the orders tests: the orders service and the sandbox payment provider running as
real processes against this run's database and broker; the sandbox's webhooks go straight to
the orders process (there is no gateway in these tests)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx
import pytest
from sportello.db import make_engine, make_sessionmaker
from sportello.testing import EventTap
from sportello.testing.processes import Process, serve_processes, with_free_ports

sys.path.insert(0, str(Path(__file__).parent))

from orders_testkit import Shop  # noqa: E402


@pytest.fixture(scope="session")
async def stack(settings):
    """Settings pointing at the running orders process and sandbox."""
    # The sandbox's port is chosen first so that orders starts knowing where to create sessions.
    chosen = with_free_ports(settings, ["payments-sandbox"])
    async with serve_processes(chosen, ["orders"]) as running:
        webhook = running.orders_url + "/api/payments/webhooks/sandbox"
        sandbox = Process("payments-sandbox", running, Path(tempfile.mkdtemp()),
                          {"SPORTELLO_PAYMENT_SANDBOX_WEBHOOK_URL": webhook})
        try:
            await sandbox.wait_healthy()
            yield running
        finally:
            sandbox.stop()


@pytest.fixture(scope="session")
async def shop(stack):
    async with httpx.AsyncClient(base_url=stack.orders_url, timeout=15) as api, \
            httpx.AsyncClient(timeout=15) as browser:
        yield Shop(stack, api, browser)


@pytest.fixture(scope="session")
async def tap(stack):
    """Every order.* event of the run, as another service would receive them."""
    async with EventTap(stack, "order.*") as t:
        yield t


@pytest.fixture(scope="session")
async def sessionmaker(stack):
    """Direct access to the orders database, for the scheduled jobs and for time travel."""
    engine = make_engine(stack.database_url("orders"), 4)
    maker = make_sessionmaker(engine)
    maker.configure(info={"service": "orders", "settings": stack})
    yield maker
    await engine.dispose()
