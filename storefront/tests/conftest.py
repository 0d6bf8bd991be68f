"""Page tests: the storefront app in-process against the in-memory fake gateway on a real port."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from sportello.testing import wait_for
from sportello.testing.processes import free_port
from sportello_storefront.app import create_app

from .fake_gateway import create_fake_gateway


@pytest.fixture(scope="session")
async def fake_gateway():
    app = create_fake_gateway()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started, message="fake gateway started")
    app.state.url = f"http://127.0.0.1:{port}"
    yield app
    server.should_exit = True
    await task


@pytest.fixture
async def shop(settings, fake_gateway):
    """A fresh visitor (own cookie jar) on a storefront that talks to the fake gateway."""
    app = create_app(settings.model_copy(update={"gateway_url": fake_gateway.state.url}))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as c:
            yield c


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


async def post_form(client: httpx.AsyncClient, page: str, action: str, data: dict) -> httpx.Response:
    """Load `page`, take its CSRF token and post `data` to `action`, as a browser would."""
    html = (await client.get(page)).text
    return await client.post(action, data={**data, "csrf_token": csrf_of(html)})


# --- browser tests: Debian's chromium driven by Playwright, against the whole system ---------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def page(browser, system):
    """A new visitor: own cookies, Italian locale, the storefront as base URL."""
    context = await browser.new_context(base_url=system.settings.storefront_url, locale="it-IT",
                                        viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = await context.new_page()
    yield page
    await context.close()
