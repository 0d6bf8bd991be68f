"""The orders service: its routers, event handlers, jobs and migrations."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from sportello.service import Service, closing

from sportello_orders import api, handlers, jobs
from sportello_orders.providers import make_provider


async def start_payments(app: FastAPI) -> None:
    settings = app.state.settings
    app.state.http = httpx.AsyncClient(timeout=10)
    app.state.provider = make_provider(settings, app.state.http)


service = Service(
    name="orders",
    routers=[api.router],
    migrations=Path(__file__).parent / "migrations",
    handlers=handlers.HANDLERS,
    jobs=[jobs.auto_cancel],
    on_startup=[start_payments],
    on_shutdown=[closing("http")],
)


def create_app():
    return service.create_app()
