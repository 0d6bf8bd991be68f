"""Steps of the back office's browser tests: a new visitor's page, logging in (the back office
and the shop share the form), screenshots into test-artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page
from sportello.testing.shop_steps import reload_until  # noqa: F401 (as the tests import it)

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
async def new_page(browser):
    """A page of a new visitor (own cookies, Italian) on the given base URL."""
    contexts = []

    async def make(base_url: str) -> Page:
        context = await browser.new_context(base_url=base_url, locale="it-IT",
                                            viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return await context.new_page()

    yield make
    for context in contexts:
        await context.close()


async def log_in(page: Page, email: str, password: str) -> None:
    await page.goto("/accedi")
    await page.get_by_label(re.compile(r"^Email")).fill(email)
    await page.get_by_label(re.compile(r"^Password")).fill(password)
    await page.get_by_role("button", name="Accedi").click()


