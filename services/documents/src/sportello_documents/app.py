"""The documents service: its routers, event handlers, jobs and migrations."""

from __future__ import annotations

from pathlib import Path

from sportello.service import Service

from sportello_documents import api, handlers, jobs
from sportello_documents.settings import documents_settings

service = Service(
    name="documents",
    routers=[api.router],
    migrations=Path(__file__).parent / "migrations",
    handlers=handlers.HANDLERS,
    jobs=jobs.JOBS,
    settings_factory=documents_settings,
)


def create_app():
    return service.create_app()
