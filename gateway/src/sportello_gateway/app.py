"""The gateway process: `/api/*` proxied to one service each; health, readiness and docs served here.

Layers, outside in: the edge (request id kept or created, returned, passed on; security headers;
CORS, in one send wrapper) → dispatch (proxy for `/api/*`, a small local app for everything else).
"""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse
from sportello.auth import TokenVerifier
from sportello.errors import install_error_handlers, problem
from sportello.observability import RequestContextMiddleware, configure_logging, metrics_response
from sportello.revocations import Revocations

from sportello_gateway.edge import GatewayEdge
from sportello_gateway.openapi import OpenAPICache
from sportello_gateway.proxy import Proxy, gather_json
from sportello_gateway.ratelimit import SharedRateLimits
from sportello_gateway.settings import GatewaySettings

log = structlog.get_logger()

LOCAL_PATHS = {"/api/openapi.json", "/api/docs"}


def local_app(settings: GatewaySettings, proxy: Proxy) -> FastAPI:
    openapi = OpenAPICache(lambda: gather_json(proxy, "/openapi.json", 3.0),
                           settings.openapi_cache_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging("gateway", settings.log_level, settings.log_json)
        # What exists now (modules, FastAPI and pydantic models, settings, the pool) lives as long
        # as the process: take it out of the collector's view, or every full collection walks it
        # and stalls the loop under load (figures in bench/README.md, "Gateway").
        gc.collect()
        gc.freeze()
        log.info("gateway_started", services={s: len(r.upstreams) for s, r in proxy.replicas.items()})
        try:
            yield
        finally:
            await proxy.close()

    app = FastAPI(title="Sportello gateway", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    install_error_handlers(app)

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics():
        # Not under /api: the ingress never routes it; Prometheus scrapes the pod.
        return metrics_response()

    @app.get("/readyz")
    async def readyz():
        results = await gather_json(proxy, "/readyz", 2.0)
        services = {
            name: ("unreachable" if r is None else "ready" if r[0] == 200 else "not_ready")
            for name, r in results.items()
        }
        if all(v == "ready" for v in services.values()):
            return {"status": "ready", "services": services}
        return problem(503, "Alcuni servizi non sono pronti.", services=services)

    @app.get("/api/openapi.json")
    async def openapi_json():
        return JSONResponse(await openapi.get())

    @app.get("/api/docs")
    async def docs():
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title="Sportello API")

    return app


class Dispatcher:
    def __init__(self, proxy: Proxy, local: FastAPI):
        self.proxy = proxy
        self.local = local

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            path = scope["path"]
            if path.startswith("/api/") and path not in LOCAL_PATHS:
                return await self.proxy(scope, receive, send)
        return await self.local(scope, receive, send)


def create_app(settings: GatewaySettings | None = None):
    settings = settings or GatewaySettings()
    limits = SharedRateLimits(settings.per_minute_limits(), settings.rate_global_per_second,
                              settings.redis_url, settings.redis_prefix)
    proxy = Proxy(settings, TokenVerifier(settings), limits, Revocations(settings))
    app = Dispatcher(proxy, local_app(settings, proxy))
    edge = GatewayEdge(
        settings.trusted_proxies,
        allow_origins=settings.allowed_origins(),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-Cart-Token", "Idempotency-Key",
                       "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After", "Location"],
        max_age=600,
    )
    app = RequestContextMiddleware(app, service="gateway", edge=edge)
    app.proxy = proxy           # tests reach the limits and the pool through here
    # `sportello serve` passes these to uvicorn: the gateway alone decides whose X-Forwarded-For
    # to believe (settings.trusted_proxies), and does not announce its server software.
    app.uvicorn_options = {"proxy_headers": False, "server_header": False}
    return app
