"""The catalog service: its routers, event handlers, jobs and migrations."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sportello.db import asyncpg_dsn, raw_pool
from sportello.service import Service, closing

from sportello_catalog import api
from sportello_catalog.cache import RenderedCache


async def start_cache(app: FastAPI) -> None:
    url = app.state.settings.database_url("catalog")
    app.state.catalog_cache = RenderedCache(asyncpg_dsn(url))
    await app.state.catalog_cache.start()


async def start_search_pool(app: FastAPI) -> None:
    # The uncached search runs on plain asyncpg connections: SQLAlchemy's checkout would cost
    # more than the statement itself (README "Search").
    app.state.search_pool = await raw_pool(app.state.settings.database_url("catalog"))


service = Service(
    name="catalog",
    routers=[api.router],
    migrations=Path(__file__).parent / "migrations",
    on_startup=[start_cache, start_search_pool],
    on_shutdown=[closing("catalog_cache", "stop"), closing("search_pool", "close")],
)


def create_app():
    return service.create_app()
