"""The catalog service: its routers, event handlers, jobs and migrations."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sportello.db import asyncpg_dsn
from sportello.service import Service, closing

from sportello_catalog import api
from sportello_catalog.cache import RenderedCache


async def start_cache(app: FastAPI) -> None:
    url = app.state.settings.database_url("catalog")
    app.state.catalog_cache = RenderedCache(asyncpg_dsn(url))
    await app.state.catalog_cache.start()


service = Service(
    name="catalog",
    routers=[api.router],
    migrations=Path(__file__).parent / "migrations",
    on_startup=[start_cache],
    on_shutdown=[closing("catalog_cache", "stop")],
)


def create_app():
    return service.create_app()
