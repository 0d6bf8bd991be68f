"""The notifications service: its routers, event handlers, the sender and migrations."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sportello.db import asyncpg_dsn
from sportello.service import Service, closing

from sportello_notifications import api
from sportello_notifications.handlers import HANDLERS
from sportello_notifications.sender import Sender


async def start_sender(app: FastAPI) -> None:
    settings = app.state.settings
    app.state.sender = Sender(settings, app.state.sessionmaker,
                              asyncpg_dsn(settings.database_url("notifications")))
    await app.state.sender.start()


service = Service(
    name="notifications",
    routers=[api.router],
    migrations=Path(__file__).parent / "migrations",
    handlers=HANDLERS,
    # Notifications announce nothing: no outbox relay to run.
    publishes=False,
    on_startup=[start_sender],
    on_shutdown=[closing("sender", "stop")],
)


def create_app():
    return service.create_app()

