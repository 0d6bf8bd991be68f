"""A tiny upstream (an echo service) and gateways in front of it, both real HTTP servers in-process."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from sportello.serving import protocol
from sportello.settings import SERVICES
from sportello.testing.processes import free_port
from sportello_gateway.app import create_app
from sportello_gateway.settings import GatewaySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, StreamingResponse
from starlette.routing import Route

BIG = 3 * 1024 * 1024
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def upstream_app() -> Starlette:
    calls: list[dict] = []

    async def echo(request: Request):
        body = await request.body()
        seen = {
            "method": request.method,
            "path": request.url.path,
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.scope["query_string"].decode(),
            "headers": [[k.decode(), v.decode()] for k, v in request.scope["headers"]],
            "body_len": len(body),
            "body_sha": hashlib.sha256(body).hexdigest(),
        }
        calls.append(seen)
        return JSONResponse(seen, headers={"x-powered-by": "starlette", "server": "internal/1.0",
                                           "x-upstream": "yes"})

    async def slow(request: Request):
        await asyncio.sleep(3)
        return JSONResponse({"late": True})

    async def big(request: Request):
        async def chunks():
            for i in range(BIG // 65536):
                yield bytes([i % 256]) * 65536
        return StreamingResponse(chunks(), media_type="application/octet-stream")

    async def crash(request: Request):
        return PlainTextResponse("Traceback: db at postgresql://10.0.0.5/secret", status_code=500)

    async def cookie(request: Request):
        response = JSONResponse({"cookie_seen": request.headers.get("cookie")})
        response.set_cookie("session", "abc")
        return response

    async def openapi(request: Request):
        return JSONResponse({"openapi": "3.1.0", "info": {"title": "x", "version": "1"},
                             "paths": {"/api/catalog/services": {"get": {"summary": "Servizi"}},
                                       "/api/orders": {"get": {"summary": "Ordini"}},
                                       "/healthz": {"get": {}}}})

    async def moved(request: Request):
        # What a service's trailing-slash redirect looked like: its own internal address.
        return RedirectResponse(f"{request.base_url}api/catalog/categories?x=1", status_code=307)

    async def cached(request: Request):
        # A service that decides its own caching and varies on its own header.
        return JSONResponse({"cached": True}, headers={"cache-control": "max-age=60",
                                                       "vary": "Accept-Language"})

    async def ready(request: Request):
        return JSONResponse({"status": "ready"})

    app = Starlette(routes=[
        Route("/api/catalog/slow", slow),
        Route("/api/catalog/big", big),
        Route("/api/catalog/crash", crash),
        Route("/api/catalog/cookie", cookie),
        Route("/api/catalog/moved/", moved),
        Route("/api/catalog/cached", cached),
        Route("/openapi.json", openapi),
        Route("/readyz", ready),
        Route("/{path:path}", echo, methods=METHODS),
    ])
    app.state.calls = calls
    app.state.big = BIG
    return app


@asynccontextmanager
async def serve(app, port: int):
    options = getattr(app, "uvicorn_options", {})
    # The server protocol of `sportello serve`, so the hop is tested as it runs.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on", loop="none", http=protocol(10.0),
                                           **options))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def upstream():
    app = upstream_app()
    async with serve(app, free_port()) as url:
        app.state.url = url
        yield app


@pytest.fixture(scope="session")
def gateway_factory(settings, upstream):
    """Start a gateway in front of the echo upstream; `notifications` points at a dead port."""

    @asynccontextmanager
    async def start(limits_namespace: str | None = None, **overrides):
        urls = {f"{s}_url": upstream.state.url for s in SERVICES if s != "notifications"}
        config = {
            **settings.model_dump(), **urls,
            "notifications_url": f"http://127.0.0.1:{free_port()}",
            "storefront_url": "http://shop.example",
            "upstream_timeout": 0.5,
            "max_body_bytes": 512 * 1024,
            "rate_login_per_minute": 3,
            "breaker_failures": 2,
            **overrides,
        }
        app = create_app(GatewaySettings(**config))
        # Each gateway of these tests counts its limits apart (they share Redis and addresses);
        # the test of limits shared across replicas gives two gateways the same namespace.
        app.proxy.limits.prefix += f"{limits_namespace or uuid.uuid4().hex[:8]}:"
        async with serve(app, free_port()) as url:
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                client.gateway = app
                yield client

    return start


@pytest.fixture(scope="session")
async def gw(gateway_factory):
    async with gateway_factory() as client:
        yield client
