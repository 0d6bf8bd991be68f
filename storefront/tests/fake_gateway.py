"""An in-memory stand-in for the gateway, for the storefront's page tests (no browser, no services).

It answers the API.md shapes the pages use and validates with the same contract code as the real
services (forms, billing, money), so a page test sees the answers a customer would. The whole
system is exercised by the browser tests; this only lets page rendering be tested on its own.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response
from sportello.contracts.billing import Billing, billing_errors, normalised
from sportello.contracts.forms import FormDefinition, price_answers, price_from
from sportello.contracts.money import line_amounts, totals
from sportello.errors import install_error_handlers, problem

SERVICES = {
    "sito-vetrina": {
        "slug": "sito-vetrina", "name": "Sito vetrina", "category": "web",
        "short_description": "Un sito di presentazione per la tua attività.",
        "description": "Progettiamo e pubblichiamo il tuo sito.\n\nConsegna in due settimane.",
        "pricing_mode": "fixed", "base_net_cents": 50000, "vat_rate_bp": 2200, "version": 1,
        "form": {"fields": [
            {"name": "pages", "label": "Numero di pagine", "type": "number", "required": True,
             "min": 1, "max": 20, "unit_price_cents": 5000},
            {"name": "domain", "label": "Dominio desiderato", "type": "text", "required": True},
            {"name": "speed", "label": "Consegna", "type": "radio", "required": True,
             "options": [{"value": "normale", "label": "Normale"},
                         {"value": "urgente", "label": "Urgente", "percent_bp": 3000}]},
            {"name": "logo", "label": "Logo incluso", "type": "checkbox", "price_cents": 15000},
        ]},
    },
    "app-su-misura": {
        "slug": "app-su-misura", "name": "App su misura", "category": "web",
        "short_description": "Un'applicazione progettata per te.", "description": "Su misura.",
        "pricing_mode": "quote", "base_net_cents": None, "vat_rate_bp": 2200, "version": 1,
        "form": {"fields": [{"name": "idea", "label": "Descrivi l'idea", "type": "textarea",
                             "required": True}]},
    },
}


def summary(s: dict[str, Any]) -> dict[str, Any]:
    form = FormDefinition.model_validate(s["form"])
    return {**{k: s[k] for k in ("slug", "name", "short_description", "category", "pricing_mode",
                                 "vat_rate_bp")},
            "price_from_cents": None if s["pricing_mode"] == "quote"
            else price_from(form, s["base_net_cents"])}


class State:
    def __init__(self):
        self.accounts: dict[str, dict] = {}  # email → account
        self.tokens: dict[str, str] = {}  # access or refresh token → email
        self.carts: dict[str, dict] = {}  # owner key → {"purchase": [...], "quote": [...]}
        self.cart_tokens: set[str] = set()
        self.orders: dict[str, dict] = {}
        self.calls: list[tuple[str, str]] = []
        self.forwarded_for: list[str | None] = []
        self.idempotent: dict[tuple[str, str], dict] = {}  # (account, key) → first answer
        self.rate_limited: set[str] = set()  # paths answered 429, as the gateway's limits would


def create_fake_gateway() -> FastAPI:
    app = FastAPI()
    state = State()
    app.state.fake = state
    install_error_handlers(app)

    @app.middleware("http")
    async def record(request: Request, call_next):
        state.calls.append((request.method, request.url.path))
        state.forwarded_for.append(request.headers.get("x-forwarded-for"))
        if request.url.path in state.rate_limited:
            return problem(429, "Troppe richieste.", headers={"Retry-After": "7"})
        return await call_next(request)

    def who(authorization: str | None) -> dict | None:
        if authorization and authorization.startswith("Bearer "):
            email = state.tokens.get(authorization[7:])
            return state.accounts.get(email) if email else None
        return None

    def owner(authorization: str | None, cart_token: str | None) -> str | None:
        me = who(authorization)
        if me:
            return f"c:{me['id']}"
        return f"a:{cart_token}" if cart_token in state.cart_tokens else None

    def unauthorized():
        return problem(401, "Autenticazione richiesta.")

    def cart_out(lines: list[dict], kind: str) -> dict:
        t = totals([line_amounts(ln["unit_net_cents"], ln["quantity"], ln["vat_rate_bp"])
                    for ln in lines]) if kind == "purchase" else None
        return {"id": str(uuid.uuid4()), "kind": kind, "lines": lines,
                "totals": t.model_dump() if t else None, "currency": "EUR"}

    # --- catalog
    @app.get("/api/catalog/categories")
    async def categories():
        return [{"slug": "web", "name": "Siti e app", "description": "Presenza online.",
                 "service_count": len(SERVICES)}]

    @app.get("/api/catalog/categories/{slug}")
    async def category(slug: str):
        if slug != "web":
            return problem(404, "Categoria non trovata.")
        return {"slug": "web", "name": "Siti e app", "description": "Presenza online.",
                "services": [summary(s) for s in SERVICES.values()]}

    @app.get("/api/catalog/services/{slug}")
    async def service(slug: str):
        s = SERVICES.get(slug)
        if not s:
            return problem(404, "Servizio non trovato.")
        return {**summary(s), **s}

    # --- accounts
    @app.post("/api/accounts/register", status_code=201)
    async def register(body: dict):
        if body["email"] in state.accounts:
            return problem(409, "Email già registrata.")
        acc = {"id": str(uuid.uuid4()), "email": body["email"], "first_name": body["first_name"],
               "last_name": body["last_name"], "phone": None, "password": body["password"],
               "billing": None, "created_at": datetime.now(UTC).isoformat()}
        state.accounts[body["email"]] = acc
        return {k: acc[k] for k in ("id", "email", "first_name", "last_name")}

    @app.post("/api/accounts/login")
    async def login(body: dict):
        acc = state.accounts.get(body.get("email"))
        if not acc or acc["password"] != body.get("password"):
            return problem(401, "Credenziali non valide.")
        access, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        state.tokens[access] = state.tokens[refresh] = acc["email"]
        return {"access_token": access, "refresh_token": refresh, "token_type": "bearer",
                "expires_in": 900}

    @app.post("/api/accounts/refresh")
    async def refresh(body: dict):
        email = state.tokens.pop(body.get("refresh_token"), None)
        if not email:
            return problem(401, "Sessione scaduta.")
        access, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        state.tokens[access] = state.tokens[refresh] = email
        return {"access_token": access, "refresh_token": refresh, "token_type": "bearer",
                "expires_in": 900}

    @app.post("/api/accounts/logout", status_code=204)
    async def logout(body: dict):
        state.tokens.pop(body.get("refresh_token"), None)
        return Response(status_code=204)

    @app.get("/api/accounts/me")
    async def me(authorization: str | None = Header(None)):
        acc = who(authorization)
        if not acc:
            return unauthorized()
        return {k: acc[k] for k in ("id", "email", "first_name", "last_name", "phone", "created_at")}

    @app.get("/api/accounts/me/billing")
    async def get_billing(authorization: str | None = Header(None)):
        acc = who(authorization)
        if not acc:
            return unauthorized()
        return acc["billing"] or problem(404, "Nessun dato di fatturazione.")

    @app.put("/api/accounts/me/billing")
    async def put_billing(body: Billing, authorization: str | None = Header(None)):
        acc = who(authorization)
        if not acc:
            return unauthorized()
        errors = billing_errors(body)
        if errors:
            return problem(422, "Alcuni dati non sono validi.", errors=errors)
        acc["billing"] = normalised(body).model_dump()
        return acc["billing"]

    # --- cart
    @app.post("/api/cart/session", status_code=201)
    async def cart_session():
        token = secrets.token_urlsafe(16)
        state.cart_tokens.add(token)
        return {"cart_token": token}

    def carts_of(key: str) -> dict:
        return state.carts.setdefault(key, {"purchase": [], "quote": []})

    for prefix, kind in (("/api/cart", "purchase"), ("/api/cart/quote", "quote")):
        def routes(prefix=prefix, kind=kind):
            @app.get(prefix)
            async def get_cart(authorization: str | None = Header(None),
                               x_cart_token: str | None = Header(None)):
                key = owner(authorization, x_cart_token)
                if not key:
                    return unauthorized()
                return cart_out(carts_of(key)[kind], kind)

            def priced(slug: str, answers: dict) -> tuple[dict | None, JSONResponse | None]:
                s = SERVICES.get(slug)
                if not s:
                    return None, problem(404, "Servizio non trovato.")
                if (s["pricing_mode"] == "quote") != (kind == "quote"):
                    return None, problem(409, "Questo servizio è solo su preventivo.")
                p, errors = price_answers(FormDefinition.model_validate(s["form"]),
                                          s["base_net_cents"], answers)
                if errors:
                    return None, problem(422, "Alcuni dati non sono validi.", errors=errors)
                return {"service": {"slug": slug, "name": s["name"], "version": 1},
                        "answers": p.answers,
                        "answer_labels": [a.model_dump() for a in p.answer_labels],
                        "unit_net_cents": p.unit_net_cents, "vat_rate_bp": s["vat_rate_bp"]}, None

            def with_amounts(line: dict) -> dict:
                if kind == "quote":
                    return {**line, "unit_net_cents": None}
                a = line_amounts(line["unit_net_cents"], line["quantity"], line["vat_rate_bp"])
                return {**line, **a.model_dump()}

            @app.post(f"{prefix}/items", status_code=201)
            async def add(body: dict, authorization: str | None = Header(None),
                          x_cart_token: str | None = Header(None)):
                key = owner(authorization, x_cart_token)
                if not key:
                    return unauthorized()
                line, err = priced(body["service_slug"], body.get("answers", {}))
                if err:
                    return err
                line = with_amounts({"id": str(uuid.uuid4()), **line,
                                     "quantity": body.get("quantity", 1)})
                carts_of(key)[kind].append(line)
                return line

            @app.patch(f"{prefix}/items/{{line_id}}")
            async def change(line_id: str, body: dict, authorization: str | None = Header(None),
                             x_cart_token: str | None = Header(None)):
                key = owner(authorization, x_cart_token)
                lines = carts_of(key)[kind] if key else []
                old = next((ln for ln in lines if ln["id"] == line_id), None)
                if not old:
                    return problem(404, "Riga non trovata.")
                line, err = priced(old["service"]["slug"], body.get("answers", old["answers"]))
                if err:
                    return err
                old.update(with_amounts({**old, **line}))
                return old

            @app.delete(f"{prefix}/items/{{line_id}}", status_code=204)
            async def remove(line_id: str, authorization: str | None = Header(None),
                             x_cart_token: str | None = Header(None)):
                key = owner(authorization, x_cart_token)
                lines = carts_of(key)[kind] if key else []
                if not any(ln["id"] == line_id for ln in lines):
                    return problem(404, "Riga non trovata.")
                lines[:] = [ln for ln in lines if ln["id"] != line_id]
                return Response(status_code=204)
        routes()

    @app.post("/api/cart/merge")
    async def merge(authorization: str | None = Header(None),
                    x_cart_token: str | None = Header(None)):
        acc = who(authorization)
        if not acc or not x_cart_token:
            return unauthorized()
        mine, anon = carts_of(f"c:{acc['id']}"), carts_of(f"a:{x_cart_token}")
        for kind in ("purchase", "quote"):
            mine[kind].extend(anon[kind])
            anon[kind].clear()
        return cart_out(mine["purchase"], "purchase")

    @app.post("/api/cart/checkout", status_code=202)
    async def checkout(body: dict, authorization: str | None = Header(None),
                       idempotency_key: str | None = Header(None)):
        acc = who(authorization)
        if not acc:
            return unauthorized()
        if not idempotency_key:
            return problem(422, "Manca la chiave.", errors=[])
        if (acc["id"], idempotency_key) in state.idempotent:
            return JSONResponse(state.idempotent[acc["id"], idempotency_key], status_code=202)
        lines = carts_of(f"c:{acc['id']}")["purchase"]
        if not lines:
            return problem(409, "Il carrello è vuoto.")
        order_id = str(uuid.uuid4())
        t = cart_out(lines, "purchase")["totals"]
        state.orders[order_id] = {
            "id": order_id, "owner": acc["id"], "number": f"SP-2026-{len(state.orders) + 1:06d}",
            "status": "awaiting_payment", "placed_at": datetime.now(UTC).isoformat(),
            "lines": list(lines), "totals": t, "total_gross_cents": t["gross_cents"],
            "billing": body["billing"],
            "payment": {"method": body["payment_method"], "status": "pending"},
            "status_history": [{"status": "awaiting_payment",
                                "at": datetime.now(UTC).isoformat(), "note": None}]}
        lines.clear()
        state.idempotent[acc["id"], idempotency_key] = {"order_id": order_id}
        return {"order_id": order_id}

    # --- orders
    def own_order(order_id: str, authorization: str | None) -> dict | None:
        acc = who(authorization)
        order = state.orders.get(order_id)
        return order if acc and order and order["owner"] == acc["id"] else None

    @app.get("/api/orders")
    async def orders(authorization: str | None = Header(None)):
        acc = who(authorization)
        if not acc:
            return unauthorized()
        return {"items": [{k: o[k] for k in ("id", "number", "status", "placed_at",
                                             "total_gross_cents")}
                          for o in state.orders.values() if o["owner"] == acc["id"]],
                "next_cursor": None}

    @app.get("/api/orders/{order_id}")
    async def order(order_id: str, authorization: str | None = Header(None)):
        o = own_order(order_id, authorization)
        return {k: v for k, v in o.items() if k != "owner"} if o else problem(404, "Non trovato.")

    @app.post("/api/orders/{order_id}/pay")
    async def pay(order_id: str, request: Request, authorization: str | None = Header(None)):
        o = own_order(order_id, authorization)
        if not o:
            return problem(404, "Non trovato.")
        if o["payment"]["method"] == "bank_transfer":
            return {"iban": "IT60X0542811101000000123456", "beneficiary": "Sportello Servizi S.r.l.",
                    "reference": o["number"], "amount_cents": o["total_gross_cents"]}
        body = await request.json()
        o["return_url"] = body.get("return_url")
        return {"redirect_url": f"http://pay.invalid/checkout?order={order_id}"}

    @app.get("/api/quotes")
    async def quotes(authorization: str | None = Header(None)):
        return {"items": [], "next_cursor": None} if who(authorization) else unauthorized()

    return app
