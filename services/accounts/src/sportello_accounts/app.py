"""The accounts service: its routers, jobs and migrations (it consumes no events)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sportello.service import Service
from sportello.tokens import TokenIssuer

from sportello_accounts import api, api_me, jobs
from sportello_accounts.passwords import Passwords
from sportello_accounts.settings import accounts_settings, get_accounts_settings


async def _start(app: FastAPI) -> None:
    # `sportello serve` and tests may hand a plain Settings: widen it to ours, keeping its values.
    settings = accounts_settings(app.state.settings)
    app.state.settings = settings
    app.state.passwords = Passwords(settings)
    # The newest key in jwt_keys_dir signs (generated on first start if there is none).
    app.state.issuer = TokenIssuer(settings)


service = Service(
    name="accounts",
    routers=[api.router, api_me.router],
    migrations=Path(__file__).parent / "migrations",
    jobs=[jobs.PURGE],
    settings_factory=get_accounts_settings,
    on_startup=[_start],
)


def create_app():
    return service.create_app()
