"""What every page shares: templates, the visitor's Api, CSRF, flash messages, redirects."""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sportello.contracts.idempotency import key_errors
from sportello.contracts.people import MIN_PASSWORD_LENGTH
from sportello.contracts.tax import REVERSE_CHARGE_EU
from sportello.proxies import client_address
from sportello.web.filters import FILTERS
from sportello.web.gateway import Api

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
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


class CsrfFailed(Exception):
    """A form arrived without the token of this session (or with another one)."""


async def api(request: Request) -> Api:
    """FastAPI dependency: the gateway on behalf of this visitor (async: a plain `def` would be
    run in a worker thread on every page)."""
    return Api(request.app.state.gateway, request.session, request.headers.get("x-request-id"),
               visitor_address(request))


def visitor_address(request: Request) -> str | None:
    """The visitor's address behind the ingress (trusted proxies, the shared rule): the gateway
    counts its limits on it, so each visitor has their own bucket."""
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"),
                          request.app.state.trusted_proxies)[0]


def new_session(request: Request) -> None:
    """At login and logout: a new session id and a new CSRF token (no fixation, and a copy of
    the cookie or a form taken before is worth nothing after)."""
    request.session.regenerate()
    request.session.pop("csrf", None)
    request.session.pop(SHOWN_BILLING, None)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def form_data(request: Request) -> dict[str, Any]:
    """The posted form as a dict, after checking its CSRF token (every form carries one)."""
    form = await request.form()
    sent = str(form.get("csrf_token", ""))
    expected = request.session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise CsrfFailed()
    data: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key == "csrf_token" or not isinstance(value, str):
            continue
        data[key] = value
    return data


def idempotency_key(data: dict[str, Any]) -> str | None:
    """The key a page put in its form when rendered: a double submit (two requests racing with
    the same cookie) sends the same key, so the API answers both with the first outcome. A form
    without a key asked for no deduplication and gets a fresh one; a key the API would refuse is
    None, never swapped for a random one (that would let a double submit happen twice)."""
    if "idempotency_key" not in data:
        return secrets.token_urlsafe(16)
    key = str(data["idempotency_key"])
    return None if key_errors(key) else key


STALE_FORM = "La pagina non era più valida: controlla e conferma di nuovo."


def flash(request: Request, message: str, kind: str = "success") -> None:
    request.session.setdefault("flash", []).append({"kind": kind, "message": message})


def flash_outcome(request: Request, ok: bool, detail: str | None, done: str, refused: str) -> None:
    """How a change went: `done`, or the API's reason (else `refused`) as an error."""
    if ok:
        flash(request, done)
    else:
        flash(request, detail or refused, "error")


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
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return templates.TemplateResponse(
        request, template,
        {
            "csrf_token": csrf_token(request),
            "user": session.get("user"),
            "logged_in": bool(session.get("refresh_token")),
            "messages": session.pop("flash", []),
            "cart_count": session.get(CART_COUNT),
            **context,
        },
        status_code=status_code,
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None, default: str = "/account") -> str:
    """Only a local path may be a post-login destination (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def login_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/accedi?next={quote(here, safe='')}"


async def poll(check: Callable[[], Awaitable[Any]], timeout: float) -> Any:
    """Call `check` until it returns something truthy or `timeout` passes; return the last value.

    For the few places where a page waits on an event-driven step (order created, quote lines
    in the cart) that normally takes milliseconds: a short backoff, a hard deadline.
    """
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.25)
