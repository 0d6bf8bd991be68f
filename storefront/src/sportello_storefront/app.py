"""The storefront app: Italian server-rendered pages over the gateway, with sessions and CSRF."""

from __future__ import annotations

import gc

from fastapi import FastAPI
from sportello.settings import Settings
from sportello.web.app import site_app
from sportello.web.filters import moment, money

from sportello_storefront.routes import account, auth, cart, catalog, checkout, legal
from sportello_storefront.settings import StorefrontSettings
from sportello_storefront.web import HERE, render, templates


def create_app(settings: Settings | None = None) -> FastAPI:
    # The shared settings (tests pass theirs) plus the storefront's own, read from the env.
    settings = StorefrontSettings(**settings.model_dump()) if settings else StorefrontSettings()
    return site_app("storefront", "Sportello storefront", settings, settings.storefront_cookie,
                    [m.router for m in (catalog, cart, checkout, auth, account, legal)],
                    HERE / "static", render, on_start=warm_up)


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
