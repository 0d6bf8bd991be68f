"""The orders service: its routers, event handlers, jobs and migrations."""

from __future__ import annotations

from pathlib import Path

from sportello.service import Service
from sportello_orders import api

service = Service(
    name="orders",
    routers=[api.router],
    migrations=Path(__file__).parent / "migrations",
)


def create_app():
    return service.create_app()
