"""The sandbox payment provider (development and tests only, never deployed to production).

An external provider as far as Sportello is concerned: the shop creates a hosted session over
`POST /v1/sessions`, the customer types a test card on `/pay/{id}`, is sent back to the shop's
return URL, and the outcome reaches the shop as a signed webhook (retried until it answers 2xx).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Form
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field, field_validator
from sportello.settings import Settings, check_sandbox_allowed, get_settings

from sportello_payments_sandbox import cards, pages
from sportello_payments_sandbox.store import CheckoutSession, Store


class SessionIn(BaseModel):
    order_id: str = Field(min_length=1, max_length=100)
    reference: str = Field(min_length=1, max_length=100)
    amount_cents: int = Field(gt=0, le=100_000_000)
    currency: str = Field(default="EUR", pattern="^EUR$")
    description: str = Field(default="", max_length=500)
    return_url: str = Field(max_length=2000)
    client_reference: str | None = Field(default=None, max_length=100)
    customer_email: str | None = Field(default=None, max_length=254)

    @field_validator("return_url")
    @classmethod
    def http_url(cls, v: str) -> str:
        if urlsplit(v).scheme not in ("http", "https") or not urlsplit(v).hostname:
            raise ValueError("return_url must be an http(s) URL")
        return v


def back_url(session: CheckoutSession, esito: str) -> str:
    sep = "&" if "?" in session.return_url else "?"
    return f"{session.return_url}{sep}{urlencode({'session_id': session.id, 'esito': esito})}"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    check_sandbox_allowed(settings)  # a secret of this installation, a shop on this machine
    # The hosted page sends the customer back only to the shop: no open redirect for anyone.
    shop_origins = {_origin(settings.storefront_url), _origin(settings.gateway_url)}
    webhook_url = (settings.payment_sandbox_webhook_url
                   or f"{settings.gateway_url.rstrip('/')}/api/payments/webhooks/sandbox")
    store = Store(webhook_url, settings.payment_sandbox_secret)
    public_url = settings.payment_sandbox_url.rstrip("/")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await store.start()
        yield
        await store.stop()

    app = FastAPI(title="Sportello payments sandbox", lifespan=lifespan, docs_url=None,
                  redoc_url=None)
    app.state.store = store

    def html(name: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(pages.render(name, **context), status_code=status)

    def closed(session: CheckoutSession | None) -> HTMLResponse:
        if session is None:
            return html("closed", 404, title="Sessione non trovata",
                        message="Questa sessione di pagamento non esiste.", back=None)
        return html("closed", 409, title="Sessione chiusa",
                    message="Questo pagamento è già stato concluso.",
                    back=back_url(session, "ok" if session.status == "succeeded" else "ko"))

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    async def index():
        return html("index")

    # --- the provider's API (called by the shop's server) -------------------------------

    @app.post("/v1/sessions", status_code=201)
    async def create_session(body: SessionIn):
        if _origin(body.return_url) not in shop_origins:
            return JSONResponse({"error": "return_url deve essere sul sito del negozio"},
                                status_code=422)
        session = store.new_session(**body.model_dump())
        return {"id": session.id, "url": f"{public_url}/pay/{session.id}", "status": session.status}

    @app.get("/v1/sessions/{session_id}")
    async def get_session(session_id: str):
        session = store.sessions.get(session_id)
        if session is None:
            return JSONResponse({"error": "sessione non trovata"}, status_code=404)
        return {**session.public(),
                "events": [store.events[e].public() for e in session.event_ids]}

    @app.post("/v1/events/{event_id}/resend", status_code=202)
    async def resend(event_id: str):
        """Deliver an event again, same id and body (as providers' 'resend' tools do)."""
        event = store.events.get(event_id)
        if event is None:
            return JSONResponse({"error": "evento non trovato"}, status_code=404)
        store.send(event)
        return {"id": event.id, "resending": True}

    # --- the hosted pages (the customer's browser) --------------------------------------

    @app.get("/pay/{session_id}", response_class=HTMLResponse)
    async def card_page(session_id: str):
        session = store.sessions.get(session_id)
        if session is None or session.status not in ("open",):
            if session is not None and session.status == "needs_confirmation":
                return RedirectResponse(f"/pay/{session_id}/conferma", status_code=303)
            return closed(session)
        return html("card", session=session)

    @app.post("/pay/{session_id}", response_class=HTMLResponse)
    async def pay(session_id: str, card_number: str = Form(""), expiry: str = Form(""),
                  cvc: str = Form(""), holder: str = Form("")):
        session = store.sessions.get(session_id)
        if session is None or session.status != "open":
            return closed(session)
        errors = cards.form_errors(card_number, expiry, cvc, holder)
        if errors:
            # The number is never echoed back in full: the customer types it again.
            return html("card", 422, session=session, errors=errors,
                        form={"expiry": expiry, "holder": holder})
        number = cards.normalised(card_number)
        if number == cards.NEEDS_CONFIRMATION:
            session.status = "needs_confirmation"
            return RedirectResponse(f"/pay/{session_id}/conferma", status_code=303)
        if number == cards.DECLINED:
            store.settle(session, "failed", "carta_rifiutata")
            return RedirectResponse(back_url(session, "ko"), status_code=303)
        store.settle(session, "succeeded")
        return RedirectResponse(back_url(session, "ok"), status_code=303)

    @app.get("/pay/{session_id}/conferma", response_class=HTMLResponse)
    async def confirm_page(session_id: str):
        session = store.sessions.get(session_id)
        if session is None or session.status != "needs_confirmation":
            return closed(session)
        return html("confirm", session=session)

    @app.post("/pay/{session_id}/conferma", response_class=HTMLResponse)
    async def confirm(session_id: str, scelta: str = Form("")):
        session = store.sessions.get(session_id)
        if session is None or session.status != "needs_confirmation":
            return closed(session)
        if scelta == "autorizza":
            store.settle(session, "succeeded")
            return RedirectResponse(back_url(session, "ok"), status_code=303)
        store.settle(session, "failed", "autenticazione_negata")
        return RedirectResponse(back_url(session, "ko"), status_code=303)

    @app.get("/pay/{session_id}/annulla")
    async def abandon(session_id: str):
        """Back to the shop without paying: the session stays open, nothing is announced."""
        session = store.sessions.get(session_id)
        if session is None:
            return closed(None)
        return RedirectResponse(back_url(session, "annullato"), status_code=303)

    return app
