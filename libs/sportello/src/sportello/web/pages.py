"""What every server-rendered page shares (storefront, back office): the visitor's Api, CSRF,
flash messages, redirects, and Italian error pages instead of stack traces."""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from sportello.contracts.idempotency import key_errors
from sportello.proxies import client_address
from sportello.web.gateway import Api, GatewayUnavailable, LoginRequired, RateLimited

log = structlog.get_logger()


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


async def end_session(request: Request, gw: Api) -> None:
    """Esci: the refresh token's family ends at accounts, the session is emptied and renewed."""
    token = request.session.get("refresh_token")
    if token:
        await gw.post("/accounts/logout", json={"refresh_token": token}, auth=False)
    request.session.clear()
    new_session(request)


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


def flash(request: Request, message: str, kind: str = "success") -> None:
    request.session.setdefault("flash", []).append({"kind": kind, "message": message})


def flash_outcome(request: Request, ok: bool, detail: str | None, done: str, refused: str) -> None:
    """How a change went: `done`, or the API's reason (else `refused`) as an error."""
    if ok:
        flash(request, done)
    else:
        flash(request, detail or refused, "error")


def render_page(templates: Jinja2Templates, request: Request, template: str, status_code: int = 200,
                **context: Any) -> HTMLResponse:
    """A page with what every form and notice needs: the CSRF token, the flash messages, and
    empty `errors`/`values` unless the route gives them (a re-rendered form)."""
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return templates.TemplateResponse(
        request, template,
        {"csrf_token": csrf_token(request), "messages": request.session.pop("flash", []), **context},
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


Render = Callable[..., HTMLResponse]

# The failures whose page says always the same: status, title, message.
FIXED_PAGES: dict[type[Exception], tuple[int, str, str]] = {
    GatewayUnavailable: (503, "Servizio momentaneamente non disponibile",
                         "Non riusciamo a completare la richiesta in questo momento. "
                         "Riprova tra qualche istante."),
    CsrfFailed: (400, "Modulo scaduto", "Il modulo è scaduto o non è valido. Torna indietro, "
                                        "ricarica la pagina e riprova."),
}
HTTP_PAGES = {
    404: ("Pagina non trovata", "La pagina che cerchi non esiste o non è più disponibile."),
    405: ("Operazione non consentita", "Questa pagina non accetta questa operazione."),
}


def install_page_errors(app: FastAPI, render: Render) -> None:
    """Every failure becomes an Italian page (the app's `error.html`), never a stack trace."""

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        return redirect(login_url(request))

    async def _fixed(request: Request, exc: Exception):
        status, title, message = next(page for kind, page in FIXED_PAGES.items()
                                      if isinstance(exc, kind))
        return render(request, "error.html", status, title=title, message=message)

    for exc_type in FIXED_PAGES:
        app.add_exception_handler(exc_type, _fixed)

    @app.exception_handler(RateLimited)
    async def _rate_limited(request: Request, exc: RateLimited):
        response = render(request, "error.html", 429, title="Troppe richieste",
                          message=f"Hai fatto troppi tentativi in poco tempo: riprova tra "
                                  f"{exc.retry_after} secondi.")
        response.headers["Retry-After"] = exc.retry_after
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code in HTTP_PAGES:
            title, message = HTTP_PAGES[exc.status_code]
            return render(request, "error.html", exc.status_code, title=title, message=message)
        return render(request, "error.html", exc.status_code, title="Richiesta non valida",
                      message=str(exc.detail) if isinstance(exc.detail, str) else "")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("page_error", path=request.url.path)
        return render(request, "error.html", 500, title="Si è verificato un errore",
                      message="Qualcosa non ha funzionato. Riprova tra poco.")
