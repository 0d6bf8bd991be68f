"""pytest fixtures for every Sportello test: one fresh set of databases, queues and keys per run.

Everything a run creates carries its run id (`_t<id>` database suffix, `t<id>.` queue prefix,
its own exchange), so two runs never see each other's data or messages; all of it is dropped
at the end of the run.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from sportello.settings import SERVICES, Settings


def _run_settings(tmp: Path, servers: dict[str, str]) -> Settings:
    from sportello.keys import generate_key

    run = uuid.uuid4().hex[:8]
    keys = tmp / "keys"
    generate_key(keys)
    return Settings(
        db_suffix=f"_t{run}",
        exchange=f"sportello.test.{run}",
        queue_prefix=f"t{run}.",
        jwt_keys_dir=keys,
        jwt_public_keys=None,
        retry_delays=[0.2, 0.4],
        relay_poll_seconds=0.5,
        jobs_enabled=False,
        # Many apps and processes share one PostgreSQL (max_connections 100) during a run.
        db_pool_size=4,
        log_json=False,
        log_level=os.environ.get("SPORTELLO_TEST_LOG_LEVEL", "WARNING"),
        **servers,
    )


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


async def drop_run(settings: Settings, extra_services: tuple[str, ...] = ()) -> None:
    """Drop the run's databases, queues and exchange."""
    import aio_pika
    import asyncpg

    from sportello.db import asyncpg_dsn

    admin = asyncpg_dsn(f"{settings.postgres_url.rstrip('/')}/postgres")
    conn = await asyncpg.connect(admin)
    try:
        names = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1",
            f"%{settings.db_suffix}",
        )
        for row in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()
    try:
        amqp = await aio_pika.connect(settings.amqp_url)
    except Exception:
        return
    async with amqp:
        channel = await amqp.channel()
        for service in (*SERVICES, *extra_services, *settings_extra_services):
            base = settings.queue_name(service)
            names = [base, f"{base}.dead"] + [f"{base}.retry.{i}" for i in range(len(settings.retry_delays))]
            for name in names:
                try:
                    await channel.queue_delete(name)
                except Exception:
                    channel = await amqp.channel()
        try:
            await channel.exchange_delete(settings.exchange)
        except Exception:
            pass


# Service names that tests invent (the messaging tests' own services) register here to be cleaned.
settings_extra_services: list[str] = []


@pytest.fixture(scope="session")
async def system(settings):
    """The whole system running as real processes (started once per run, on first use)."""
    from sportello.testing.system import start_system

    async with start_system(settings) as running:
        yield running
