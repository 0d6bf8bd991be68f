"""Fixtures of the page and browser tests: the whole system (real processes) and its storefront."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import redis
from asgi_lifespan import LifespanManager
from sportello_storefront.app import create_app
from sportello_storefront.settings import StorefrontSettings


@pytest.fixture
async def shop(system):
    """A fresh visitor (own cookie jar) on the running storefront process of the whole system."""
    async with httpx.AsyncClient(base_url=system.settings.storefront_url, timeout=15) as c:
        yield c


@asynccontextmanager
async def local_shop(settings, gateway_url: str, *, visitor: str = "127.0.0.1",
                     **overrides) -> AsyncIterator[httpx.AsyncClient]:
    """The storefront app in-process against a real gateway, for a visitor at the address
    `visitor` (the peer the storefront sees): for the tests that must look inside the visitor's
    session (tokens) or choose where the visitor comes from (rate limits)."""
    app = create_app(StorefrontSettings(**{**settings.model_dump(), "gateway_url": gateway_url,
                                           **overrides}))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=(visitor, 40000))
        async with httpx.AsyncClient(transport=transport, base_url=settings.storefront_url,
                                     timeout=15) as c:
            c.app = app
            yield c


SESSION_COOKIE = "sportello_sessione"


def _session_key(settings, client: httpx.AsyncClient) -> str:
    return f"{settings.redis_prefix}session:{SESSION_COOKIE}:{client.cookies[SESSION_COOKIE]}"


def read_session(settings, client: httpx.AsyncClient) -> dict:
    """The visitor's session as the storefront keeps it (server-side, in Redis)."""
    with redis.Redis.from_url(settings.redis_url) as r:
        stored = r.get(_session_key(settings, client))
    return json.loads(stored) if stored else {}


def write_session(settings, client: httpx.AsyncClient, session: dict) -> None:
    """Change the visitor's session on the server, as a later page would have."""
    with redis.Redis.from_url(settings.redis_url) as r:
        r.set(_session_key(settings, client), json.dumps(session), keepttl=True)


@pytest.fixture(scope="module")
async def limited_gateway(system):
    """A second real gateway process in front of the same services, allowing 2 logins a minute
    per client address (the whole system's gateway is generous, for the journeys)."""
    from sportello.testing.processes import RUNNING, serve_processes

    kept = RUNNING.get("gateway")
    try:
        async with serve_processes(system.settings, ["gateway"],
                                   {"SPORTELLO_RATE_LOGIN_PER_MINUTE": "2"}) as running:
            yield running.gateway_url
    finally:
        if kept is not None:
            RUNNING["gateway"] = kept


# --- browser tests: Debian's chromium driven by Playwright (the `browser` fixture of
# sportello.testing.plugin), against the whole system ------------------------------------

@pytest.fixture
async def page(browser, system):
    """A new visitor: own cookies, Italian locale, the storefront as base URL."""
    context = await browser.new_context(base_url=system.settings.storefront_url, locale="it-IT",
                                        viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = await context.new_page()
    yield page
    await context.close()
