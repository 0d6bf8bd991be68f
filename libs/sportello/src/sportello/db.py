"""Database plumbing: async engine and sessions, database creation, Alembic per service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from fastapi import Request
from sqlalchemy import MetaData, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from sportello.settings import Settings, get_settings

# Constraint names Alembic can reproduce, the same in every service.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING)


class Base(DeclarativeBase):
    """Base of the shared tables (outbox, inbox). Services declare their own base per database."""

    metadata = new_metadata()


def session_settings(session: AsyncSession) -> Settings:
    """The app's settings, which the service factory puts on every session it makes."""
    return session.info.get("settings") or get_settings()


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    # No pre-ping: it costs a round trip on every checkout. A connection that died with a
    # database restart raises a disconnect error instead, which invalidates the whole pool (the
    # next checkouts reconnect); the request that met it answers 503 (errors.py) and an event
    # being handled goes back through the retry queue, so nothing is lost.
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def asyncpg_dsn(url: str) -> str:
    """The plain `postgresql://` DSN asyncpg wants, from a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _no_reset(connection: asyncpg.Connection) -> None:
    """A fast path leaves no session state behind: skip the pool's reset round trip."""


async def raw_pool(url: str, max_size: int = 8) -> asyncpg.Pool:
    """Plain asyncpg connections for a route's fast path or a loop (the relay), where
    SQLAlchemy's checkout and statement building would cost more than the statements themselves.
    Their users leave no session state behind, so a connection goes back without a reset."""
    return await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=max_size,
                                     reset=_no_reset)


async def ensure_database(url: str) -> bool:
    """Create the database of `url` if it does not exist. True when it was created."""
    u = make_url(url)
    name = u.database
    admin = asyncpg_dsn(u.set(database="postgres").render_as_string(hide_password=False))
    conn = await asyncpg.connect(admin)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        except asyncpg.DuplicateDatabaseError:  # created meanwhile by another process
            return False
        return True
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    u = make_url(url)
    admin = asyncpg_dsn(u.set(database="postgres").render_as_string(hide_password=False))
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
    finally:
        await conn.close()


def alembic_config(migrations_dir: Path, url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(migrations_dir: Path, url: str, revision: str = "head") -> None:
    """Run a service's migrations up to `revision` (synchronously: Alembic drives its own loop)."""
    from alembic import command

    command.upgrade(alembic_config(migrations_dir, url), revision)


async def upgrade_async(migrations_dir: Path, url: str) -> None:
    import asyncio

    await asyncio.to_thread(upgrade, migrations_dir, url)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: one session per request; the route commits what it means to keep."""
    async with request.app.state.sessionmaker() as session:
        yield session
