"""The storefront's own page glue: its templates and labels, the header's cart count, and render.
What the back office shares with it (CSRF, sessions, flash, errors) is in `sportello.web.pages`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sportello.contracts.people import MIN_PASSWORD_LENGTH
from sportello.contracts.tax import REVERSE_CHARGE_EU
from sportello.web import app_templates, pages
from sportello.web.filters import FILTERS

HERE = Path(__file__).parent
templates = app_templates(HERE / "templates")
templates.env.filters.update(FILTERS)

# The labels of ARCHITECTURE.md, written once so every page uses the same words.
LABELS = {
    "services": "Servizi",
    "buy": "ACQUISTA",
    "add_to_cart": "Aggiungi al carrello",
    "checkout": "PROCEDI ALL'ACQUISTO",
    "billing": "Dati di Fatturazione",
    "complete": "COMPLETA L'ACQUISTO",
    "request_quote": "RICHIEDI PREVENTIVO",
    "quote_checkout": "PROCEDI ALLA RICHIESTA DI PREVENTIVO",
    "account": "IL MIO ACCOUNT",
    "orders": "I MIEI ORDINI",
    "quotes": "I MIEI PREVENTIVI",
    "profile": "PROFILO",
    "billing_data": "DATI DI FATTURAZIONE",
    "privacy": "INFORMAZIONI PRIVACY",
}
templates.env.globals["L"] = LABELS
# The shared tax rule's wording, so the page explains the reverse charge it names.
templates.env.globals["REVERSE_CHARGE"] = REVERSE_CHARGE_EU
# From the one password rule (the contracts), so the hint never drifts from what accounts checks.
templates.env.globals["password_hint"] = f"Almeno {MIN_PASSWORD_LENGTH} caratteri."


# The session key of the billing data the payment step showed (what its checkout buys with).
SHOWN_BILLING = "checkout_billing"


def new_session(request: Request) -> None:
    """The shared new session, without the billing data a checkout step showed before."""
    pages.new_session(request)
    request.session.pop(SHOWN_BILLING, None)


STALE_FORM = "La pagina non era più valida: controlla e conferma di nuovo."

CART_COUNT = "cart_count"


def remember_cart_count(session: dict[str, Any], cart: dict[str, Any] | None) -> None:
    """Keep the number of purchase-cart lines in the session for the header's "Carrello (n)":
    refreshed whenever a page reads or changes the cart, so other pages need no gateway call.
    `None` = not known (the header then shows plain "Carrello" until the cart is read)."""
    if cart is None:
        session.pop(CART_COUNT, None)
    else:
        session[CART_COUNT] = len(cart.get("lines") or [])


def bump_cart_count(session: dict[str, Any], delta: int) -> None:
    """A line added (+1) or removed (-1) without reading the cart: adjust a known count."""
    if isinstance(session.get(CART_COUNT), int):
        session[CART_COUNT] = max(0, session[CART_COUNT] + delta)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    session = request.session
    return pages.render_page(templates, request, template, status_code,
                             user=session.get("user"), logged_in=bool(session.get("refresh_token")),
                             cart_count=session.get(CART_COUNT), **context)
