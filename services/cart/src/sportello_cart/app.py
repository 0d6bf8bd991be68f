"""The cart service: its routers, event handlers, jobs and migrations."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sportello.db import raw_pool
from sportello.service import Service, closing

from sportello_cart import api, jobs
from sportello_cart.handlers import HANDLERS
from sportello_cart.repository import ReplicasSeen


async def start_fast_pool(app: FastAPI) -> None:
    """The plain asyncpg connections of api.py's fast routes, and the replica rows they saw."""
    settings = app.state.settings
    app.state.fast_pool = await raw_pool(settings.database_url("cart"), settings.db_pool_size)
    app.state.replicas_seen = ReplicasSeen()


service = Service(
    name="cart",
    routers=[api.router, api.legal_router],
    migrations=Path(__file__).parent / "migrations",
    handlers=HANDLERS,
    jobs=[jobs.PURGE_ANONYMOUS_CARTS],
    on_startup=[start_fast_pool],
    on_shutdown=[closing("fast_pool", "close")],
)


def create_app():
    return service.create_app()
