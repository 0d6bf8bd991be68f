"""The cart service: its routers, event handlers, jobs and migrations."""

from __future__ import annotations

from pathlib import Path

from sportello.service import Service

from sportello_cart import api, jobs
from sportello_cart.handlers import HANDLERS

service = Service(
    name="cart",
    routers=[api.router, api.legal_router],
    migrations=Path(__file__).parent / "migrations",
    handlers=HANDLERS,
    jobs=[jobs.PURGE_ANONYMOUS_CARTS],
)


def create_app():
    return service.create_app()
