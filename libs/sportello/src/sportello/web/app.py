"""The app of a server-rendered site (the storefront, the back office): one gateway client, the
Redis sessions, static files, health, Italian error pages and the middleware every page gets."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import APIRouter, FastAPI

from sportello.observability import RequestContextMiddleware, configure_logging
from sportello.proxies import TrustedProxies
from sportello.service import add_health_routes
from sportello.settings import Settings
from sportello.web import mount_static
from sportello.web.gateway import Gateway, GatewayUnavailable
from sportello.web.pages import install_page_errors
from sportello.web.security import SecurityHeadersMiddleware
from sportello.websessions import ServerSessionMiddleware, SessionStore

log = structlog.get_logger()


def site_app(name: str, title: str, settings: Settings, cookie: str,
             routers: Iterable[APIRouter], static: Path, render: Callable,
             on_start: Callable[[], None] | None = None) -> FastAPI:
    """The app `sportello serve <name>` runs; `settings` carry `cookie_secure`."""
    sessions = SessionStore(settings, cookie, settings.cookie_secure)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging(name, settings.log_level, settings.log_json)
        gateway = Gateway(settings.gateway_url)
        await gateway.start()
        app.state.gateway = gateway
        if on_start is not None:
            on_start()
        log.info("service_started", service=name, gateway=settings.gateway_url)
        try:
            yield
        finally:
            await gateway.close()
            await sessions.close()

    app = FastAPI(title=title, lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.trusted_proxies = TrustedProxies(settings.trusted_proxies)
    for router in routers:
        app.include_router(router)
    mount_static(app, static)

    async def ready() -> dict[str, bool]:
        try:
            return {"gateway": (await app.state.gateway.raw("GET", "/catalog/categories")).ok}
        except GatewayUnavailable:
            return {"gateway": False}

    add_health_routes(app, ready)
    install_page_errors(app, render)
    # Outermost last: request id → security headers → session (server-side: the cookie is an
    # id, the tokens stay in Redis).
    app.add_middleware(ServerSessionMiddleware, store=sessions)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.cookie_secure)
    app.add_middleware(RequestContextMiddleware, service=name)
    # The site reads X-Forwarded-For itself (settings.trusted_proxies), so uvicorn must not
    # rewrite the peer from it first with its own trust list.
    app.uvicorn_options = {"proxy_headers": False, "server_header": False}
    return app
