"""Helpers of the orders tests: a checkout as the cart would publish it, a customer's browser on
the sandbox's hosted page, signed webhooks as the providers sign them."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sportello.contracts.billing import Address, Billing
from sportello.contracts.events import (
    CartCheckedOut,
    Contact,
    PricedLine,
    ServiceRef,
    TermsAcceptance,
)
from sportello.contracts.forms import AnswerLabel
from sportello.contracts.legal import TERMS_VERSION
from sportello.contracts.money import line_amounts, totals
from sportello.settings import Settings
from sportello.testing import bearer, publish_event, wait_for
from sportello_payments_sandbox.signing import sign

SUCCEEDS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
NEEDS_CONFIRMATION = "4000 0000 0000 3220"


def billing() -> Billing:
    return Billing(
        customer_type="privato", first_name="Mario", last_name="Rossi",
        tax_code="RSSMRA85T10A562S",
        address=Address(street="Via Roma 1", postal_code="20121", city="Milano", province="MI",
                         country="IT"),
        email="mario.rossi@example.it",
    )


def checkout(customer_id: uuid.UUID | None = None, method: str = "card",
             quote_id: uuid.UUID | None = None, billing_data: Billing | None = None,
             early_start: bool = False) -> CartCheckedOut:
    a = line_amounts(12_345, 2, 2200)  # 246,90 net, 54,32 VAT (half-up)
    b = line_amounts(9_999, 1, 1000)
    lines = [
        PricedLine(line_id=uuid.uuid4(), service=ServiceRef(slug="sito-web", name="Sito web",
                                                            version=3),
                   answers={"pagine": 5, "note": "Colori aziendali"},
                   answer_labels=[AnswerLabel(label="Pagine", value="5")],
                   quote_id=quote_id, **a.model_dump()),
        PricedLine(line_id=uuid.uuid4(), service=ServiceRef(slug="logo", name="Logo", version=1),
                   answers={}, answer_labels=[], **b.model_dump()),
    ]
    customer_id = customer_id or uuid.uuid4()
    return CartCheckedOut(
        order_id=uuid.uuid4(),
        customer=Contact(account_id=customer_id, email=f"{customer_id.hex[:8]}@example.it",
                         first_name="Mario", last_name="Rossi"),
        lines=lines, totals=totals(lines), billing=billing_data or billing(),
        payment_method=method,
        terms=TermsAcceptance(version=TERMS_VERSION, accepted_at=datetime.now(UTC)),
        early_start_consent_at=datetime.now(UTC) if early_start else None,
    )


@dataclass
class Customer:
    id: uuid.UUID
    headers: dict[str, str]


class Shop:
    """The orders service and the sandbox as a customer, staff and the cart see them."""

    def __init__(self, settings: Settings, api: httpx.AsyncClient, browser: httpx.AsyncClient):
        self.settings = settings
        self.api = api
        self.browser = browser
        self.staff = bearer(settings, uuid.uuid4(), "staff")

    def customer(self) -> Customer:
        cid = uuid.uuid4()
        return Customer(cid, bearer(settings=self.settings, account_id=cid))

    async def place(self, who: Customer, method: str = "card", **kw) -> dict:
        """Publish a checkout as the cart would; the order as the customer then reads it."""
        event = checkout(who.id, method, **kw)
        await publish_event(self.settings, "cart.checked_out", event, producer="cart")
        return await self.order_when(who, event.order_id, lambda o: True)

    async def order(self, who: Customer, order_id) -> httpx.Response:
        return await self.api.get(f"/api/orders/{order_id}", headers=who.headers)

    async def order_when(self, who: Customer, order_id, predicate, timeout: float = 10) -> dict:
        async def check():
            r = await self.order(who, order_id)
            return r.json() if r.status_code == 200 and predicate(r.json()) else None

        return await wait_for(check, timeout, message=f"order {order_id}")

    async def open_payment_page(self, who: Customer, order_id) -> str:
        r = await self.api.post(f"/api/orders/{order_id}/pay", headers=who.headers)
        assert r.status_code == 200, r.text
        url = r.json()["redirect_url"]
        page = await self.browser.get(url)
        assert page.status_code == 200 and "Pagamento con carta" in page.text, page.text
        return url

    async def pay(self, who: Customer, order_id, card: str) -> httpx.Response:
        """The customer types the card on the hosted page; the sandbox's answer (a redirect)."""
        url = await self.open_payment_page(who, order_id)
        return await self.browser.post(url, data={"card_number": card, "expiry": "12/34",
                                                  "cvc": "123", "holder": "Mario Rossi"})

    async def sandbox_session(self, session_id: str) -> dict:
        r = await self.browser.get(f"{self.settings.payment_sandbox_url}/v1/sessions/{session_id}")
        assert r.status_code == 200, r.text
        return r.json()

    async def delivered_events(self, session_id: str) -> list[dict]:
        """The sandbox's events of a session once each was answered 2xx by the shop."""
        async def check():
            events = (await self.sandbox_session(session_id))["events"]
            return events if events and all(e["delivered"] for e in events) else None

        return await wait_for(check, message=f"webhooks of {session_id} delivered")

    async def staff_move(self, order_id, status: str, note: str | None = None) -> httpx.Response:
        body = {"status": status, **({"note": note} if note else {})}
        return await self.api.post(f"/api/staff/orders/{order_id}/status", json=body,
                                   headers=self.staff)


def session_id_of(redirect: httpx.Response) -> str:
    location = redirect.headers["location"]
    return httpx.URL(location).params["session_id"]


def sandbox_webhook(secret: str, order_id, *, outcome: str = "succeeded",
                    session_id: str | None = None, event_id: str | None = None,
                    amount_cents: int | None = None, reason: str | None = None,
                    timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """A webhook body and headers signed the way the sandbox signs them."""
    data = {"session_id": session_id or f"cs_test_{uuid.uuid4().hex}", "order_id": str(order_id)}
    if amount_cents is not None:
        data["amount_cents"] = amount_cents
    if reason:
        data["reason"] = reason
    body = json.dumps({"id": event_id or f"evt_test_{uuid.uuid4().hex}",
                       "type": f"payment.{outcome}", "created": int(time.time()),
                       "data": data}).encode()
    return body, {"Sandbox-Signature": sign(secret, body, timestamp),
                  "Content-Type": "application/json"}
