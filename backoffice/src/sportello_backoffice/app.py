"""The back office app: the staff's Italian pages over the gateway's staff API, with the
storefront's session, CSRF and CSP rules (sportello.web)."""

from __future__ import annotations

from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request
from sportello.auth import TokenVerifier
from sportello.observability import RequestContextMiddleware, configure_logging
from sportello.proxies import TrustedProxies
from sportello.service import add_health_routes
from sportello.settings import Settings
from sportello.web import mount_static
from sportello.web.gateway import Gateway, GatewayUnavailable
from sportello.web.pages import install_page_errors
from sportello.web.security import SecurityHeadersMiddleware
from sportello.websessions import ServerSessionMiddleware, SessionStore

from sportello_backoffice.routes import (
    auth,
    catalog,
    customers,
    dashboard,
    documents,
    emails,
    invoices,
    orders,
    quote_totals,
    quotes,
)
from sportello_backoffice.settings import BackofficeSettings
from sportello_backoffice.web import HERE, STAFF_ONLY, StaffOnly, render

log = structlog.get_logger()


def create_app(settings: Settings | None = None) -> FastAPI:
    # The shared settings (tests pass theirs) plus the back office's own, read from the env.
    settings = BackofficeSettings(**settings.model_dump()) if settings else BackofficeSettings()
    sessions = SessionStore(settings, settings.backoffice_cookie, settings.cookie_secure)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging("backoffice", settings.log_level, settings.log_json)
        gateway = Gateway(settings.gateway_url)
        await gateway.start()
        app.state.gateway = gateway
        log.info("service_started", service="backoffice", gateway=settings.gateway_url)
        try:
            yield
        finally:
            await gateway.close()
            await sessions.close()

    app = FastAPI(title="Sportello back office", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.trusted_proxies = TrustedProxies(settings.trusted_proxies)
    # The login checks the role in the token itself, with accounts' public keys.
    app.state.verifier = TokenVerifier(settings)
    for module in (auth, dashboard, quotes, quote_totals, orders, documents, invoices, catalog,
                   customers, emails):
        app.include_router(module.router)
    mount_static(app, HERE / "static")

    async def ready() -> dict[str, bool]:
        try:
            return {"gateway": (await app.state.gateway.raw("GET", "/catalog/categories")).ok}
        except GatewayUnavailable:
            return {"gateway": False}

    add_health_routes(app, ready)
    install_page_errors(app, render)

    @app.exception_handler(StaffOnly)
    async def _staff_only(request: Request, exc: StaffOnly):
        return render(request, "error.html", 403, title="Accesso negato", message=STAFF_ONLY)

    # Outermost last: request id → security headers → session (server-side, in Redis).
    app.add_middleware(ServerSessionMiddleware, store=sessions)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.cookie_secure)
    app.add_middleware(RequestContextMiddleware, service="backoffice")
    # Like the storefront: X-Forwarded-For is read with settings.trusted_proxies, not by uvicorn.
    app.uvicorn_options = {"proxy_headers": False, "server_header": False}
    return app
