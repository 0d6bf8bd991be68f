"""The accounts service: its routers, jobs, migrations and the handlers of its own session events."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sportello.proxies import TrustedProxies
from sportello.service import Service
from sportello.tokens import TokenIssuer

from sportello_accounts import api, handlers, jobs
from sportello_accounts.passwords import Passwords
from sportello_accounts.settings import accounts_settings, get_accounts_settings


async def _start(app: FastAPI) -> None:
    # `sportello serve` and tests may hand a plain Settings: widen it to ours, keeping its values.
    settings = accounts_settings(app.state.settings)
    app.state.settings = settings
    app.state.passwords = Passwords(settings)
    # The newest key in jwt_keys_dir signs (generated on first start if there is none).
    app.state.issuer = TokenIssuer(settings)
    app.state.trusted_proxies = TrustedProxies(settings.trusted_proxies)
    # Handlers get only a session: the app's deny-list travels on it.
    app.state.sessionmaker.configure(info={"service": "accounts",
                                           "revocations": app.state.revocations})


service = Service(
    name="accounts",
    routers=[api.router, api.staff_router],
    migrations=Path(__file__).parent / "migrations",
    handlers=handlers.HANDLERS,
    jobs=[jobs.PURGE],
    settings_factory=get_accounts_settings,
    on_startup=[_start],
)


def create_app():
    return service.create_app()
