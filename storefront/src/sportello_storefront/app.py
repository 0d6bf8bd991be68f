"""The storefront app: Italian server-rendered pages over the gateway, with sessions and CSRF."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from sportello.observability import RequestContextMiddleware, configure_logging
from sportello.proxies import TrustedProxies
from sportello.service import add_health_routes
from sportello.settings import Settings
from sportello.web import mount_static
from sportello.web.filters import moment, money
from sportello.web.gateway import Gateway, GatewayUnavailable
from sportello.web.pages import install_page_errors
from sportello.web.security import SecurityHeadersMiddleware
from sportello.websessions import ServerSessionMiddleware, SessionStore

from sportello_storefront.routes import account, auth, cart, catalog, checkout, legal
from sportello_storefront.settings import StorefrontSettings
from sportello_storefront.web import HERE, render, templates

log = structlog.get_logger()


def create_app(settings: Settings | None = None) -> FastAPI:
    # The shared settings (tests pass theirs) plus the storefront's own, read from the env.
    settings = StorefrontSettings(**settings.model_dump()) if settings else StorefrontSettings()
    sessions = SessionStore(settings, settings.storefront_cookie, settings.cookie_secure)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging("storefront", settings.log_level, settings.log_json)
        gateway = Gateway(settings.gateway_url)
        await gateway.start()
        app.state.gateway = gateway
        warm_up()
        log.info("service_started", service="storefront", gateway=settings.gateway_url)
        try:
            yield
        finally:
            await gateway.close()
            await sessions.close()

    app = FastAPI(title="Sportello storefront", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.trusted_proxies = TrustedProxies(settings.trusted_proxies)
    for module in (catalog, cart, checkout, auth, account, legal):
        app.include_router(module.router)
    mount_static(app, HERE / "static")

    async def ready() -> dict[str, bool]:
        try:
            return {"gateway": (await app.state.gateway.raw("GET", "/catalog/categories")).ok}
        except GatewayUnavailable:
            return {"gateway": False}

    add_health_routes(app, ready)
    install_page_errors(app, render)

    # Outermost last: request id → security headers → session.
    # Server-side sessions: the cookie is an id, the tokens stay in Redis.
    app.add_middleware(ServerSessionMiddleware, store=sessions)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.cookie_secure)
    app.add_middleware(RequestContextMiddleware, service="storefront")
    # The storefront reads X-Forwarded-For itself (`visitor_address`, settings.trusted_proxies),
    # so uvicorn must not rewrite the peer from it first with its own trust list.
    app.uvicorn_options = {"proxy_headers": False, "server_header": False}
    return app


def warm_up() -> None:
    """Load what every page uses (templates, Babel's it_IT data), then freeze it out of the GC.

    Those are hundreds of thousands of long-lived objects; left in the collected generations,
    every full collection walks them all and stalls a page load (figures in bench/README.md).
    """
    for path in (HERE / "templates").rglob("*.html"):
        templates.env.get_template(path.relative_to(HERE / "templates").as_posix())
    money(123456)
    moment("2026-01-01T00:00:00Z")
    gc.collect()
    gc.freeze()
