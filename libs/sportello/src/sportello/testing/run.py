"""A test run's settings and its cleanup: everything a run creates carries its run id, and
drop_run removes it (used by the pytest plugin, the system fixture and the benchmarks)."""

from __future__ import annotations

import os
import secrets
import uuid
from pathlib import Path

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
        redis_prefix=f"t{run}:",
        jwt_keys_dir=keys,
        jwt_public_keys=None,
        payment_sandbox_secret=secrets.token_urlsafe(32),
        sdi_sandbox_secret=secrets.token_urlsafe(32),
        documents_secret=secrets.token_urlsafe(32),
        data_dir=tmp / "data",
        retry_delays=[0.2, 0.4],
        relay_poll_seconds=0.5,
        jobs_enabled=False,
        # Many apps and processes share one PostgreSQL (max_connections 100) during a run.
        db_pool_size=4,
        log_json=False,
        log_level=os.environ.get("SPORTELLO_TEST_LOG_LEVEL", "WARNING"),
        **servers,
    )


async def drop_run(settings: Settings, extra_services: tuple[str, ...] = ()) -> None:
    """Drop the run's databases, queues, exchange and Redis keys."""
    import aio_pika
    import asyncpg
    import redis.asyncio as redis

    try:
        client = redis.from_url(settings.redis_url)
        async with client:
            keys = [k async for k in client.scan_iter(match=f"{settings.redis_prefix}*")]
            if keys and settings.redis_prefix:
                await client.delete(*keys)
    except redis.RedisError:
        pass

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
