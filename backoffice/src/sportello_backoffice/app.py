"""The back office app: the staff's Italian pages over the gateway's staff API, with the
storefront's session, CSRF and CSP rules (sportello.web)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from sportello.auth import TokenVerifier
from sportello.settings import Settings
from sportello.web.app import site_app

from sportello_backoffice.routes import (
    auth,
    catalog,
    customers,
    dashboard,
    documents,
    emails,
    invoices,
    new_quote,
    orders,
    quote_totals,
    quotes,
)
from sportello_backoffice.settings import BackofficeSettings
from sportello_backoffice.web import HERE, STAFF_ONLY, StaffOnly, render


def create_app(settings: Settings | None = None) -> FastAPI:
    # The shared settings (tests pass theirs) plus the back office's own, read from the env.
    settings = BackofficeSettings(**settings.model_dump()) if settings else BackofficeSettings()
    app = site_app("backoffice", "Sportello back office", settings, settings.backoffice_cookie,
                   [m.router for m in (auth, dashboard, quotes, quote_totals, orders, documents,
                                       invoices, catalog, customers, new_quote, emails)],
                   HERE / "static", render)
    # The login checks the role in the token itself, with accounts' public keys.
    app.state.verifier = TokenVerifier(settings)

    @app.exception_handler(StaffOnly)
    async def _staff_only(request: Request, exc: StaffOnly):
        return render(request, "error.html", 403, title="Accesso negato", message=STAFF_ONLY)

    return app
