"""The quotes service: its routers, event handlers, jobs and migrations."""

from __future__ import annotations

from pathlib import Path

from sportello.service import Service

from sportello_quotes import api, handlers, jobs

service = Service(
    name="quotes",
    routers=[api.router],
    migrations=Path(__file__).parent / "migrations",
    handlers=handlers.HANDLERS,
    jobs=[jobs.EXPIRE_QUOTES, jobs.REMIND_EXPIRING, jobs.REMIND_UNPRICED],
)


def create_app():
    return service.create_app()
