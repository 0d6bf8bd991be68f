"""The invoicing service: its routers, event handlers and migrations."""

from __future__ import annotations

from pathlib import Path

from sportello.service import Service

from sportello_invoicing import api, handlers
from sportello_invoicing.settings import invoicing_settings

service = Service(
    name="invoicing",
    routers=[api.router],
    migrations=Path(__file__).parent / "migrations",
    handlers=handlers.HANDLERS,
    settings_factory=invoicing_settings,
)


def create_app():
    return service.create_app()
