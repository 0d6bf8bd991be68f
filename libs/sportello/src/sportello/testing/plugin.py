"""pytest fixtures for every Sportello test: one fresh set of databases, queues and keys per run.

Everything a run creates carries its run id (`_t<id>` database suffix, `t<id>.` queue prefix,
its own exchange), so two runs never see each other's data or messages; all of it is dropped
at the end of the run.
"""

from __future__ import annotations

import os

import pytest

from sportello.settings import Settings
from sportello.testing.run import _run_settings, drop_run


@pytest.fixture(scope="session")
def servers():
    """The PostgreSQL and RabbitMQ the run uses: the local ones (as in CI), or, where
    SPORTELLO_TESTCONTAINERS=1 and a Docker engine exist, throwaway containers."""
    if os.environ.get("SPORTELLO_TESTCONTAINERS") != "1":
        yield {}
        return
    from testcontainers.community.postgres import PostgresContainer
    from testcontainers.community.rabbitmq import RabbitMqContainer

    with PostgresContainer("postgres:15-alpine") as pg, RabbitMqContainer("rabbitmq:3.13-alpine") as mq:
        host = pg.get_container_host_ip()
        yield {
            "postgres_url": f"postgresql+asyncpg://{pg.username}:{pg.password}@{host}:"
                            f"{pg.get_exposed_port(5432)}",
            "amqp_url": f"amqp://{mq.username}:{mq.password}@{mq.get_container_host_ip()}:"
                        f"{mq.get_exposed_port(5672)}/",
        }


@pytest.fixture(scope="session")
def settings(tmp_path_factory, servers) -> Settings:
    """This run's settings: every service of the run shares them."""
    return _run_settings(tmp_path_factory.mktemp("sportello"), servers)


@pytest.fixture(scope="session", autouse=True)
async def _cleanup_run(settings):
    yield
    from sportello.testing.processes import stop_all

    stop_all()  # a fault test's restarted process included
    await drop_run(settings)


@pytest.fixture(scope="session")
async def system(settings):
    """The whole system running as real processes (started once per run, on first use)."""
    from sportello.testing.system import start_system

    async with start_system(settings) as running:
        yield running


# Browser tests (storefront, back office): Debian's chromium, never a downloaded browser.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()
