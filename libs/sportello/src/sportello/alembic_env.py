"""The body of every service's Alembic `env.py`: online migrations over the async engine.

A service's `migrations/env.py` is two lines:
    from sportello.alembic_env import run_migrations
    from sportello_orders.models import Base; run_migrations(Base.metadata)
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine


def run_migrations(*metadata: MetaData) -> None:
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    target = list(metadata) if len(metadata) > 1 else metadata[0]

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection) -> None:
        context.configure(connection=connection, target_metadata=target, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())
