"""What a client of the public API does again and again: sign up, fill a cart, check out, pay,
read the mail that arrived. Every call goes through the gateway (`api`); mail is read in the sink."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sportello.contracts.legal import TERMS_VERSION
from sportello.testing import wait_for

ROME = ZoneInfo("Europe/Rome")
PASSWORD = "Una-password-lunga-2026"
TEST_CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/35", "cvc": "123",
             "holder": "Mario Rossi"}

BILLING = {
    "customer_type": "privato",
    "first_name": "Mario",
    "last_name": "Rossi",
    "tax_code": "RSSMRA85T10A562S",
    "address": {"street": "Via Roma 1", "postal_code": "20121", "city": "Milano",
                "province": "MI", "country": "IT"},
    "email": "mario.rossi@example.com",
}
# Dichiarazione dei redditi: 60,00 € + options; Sito vetrina: 900,00 € + options (demo catalog).
DICHIARAZIONE = "dichiarazione-dei-redditi"
SITO = "sito-vetrina"
SU_MISURA = "sito-su-misura"   # quote only


@dataclass
class Customer:
    email: str
    id: str
    headers: dict[str, str]


def new_email(kind: str = "cliente") -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}@example.com"


async def login(api: httpx.AsyncClient, email: str, password: str) -> dict:
    r = await api.post("/api/accounts/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


async def register(api: httpx.AsyncClient, email: str | None = None) -> Customer:
    email = email or new_email()
    r = await api.post("/api/accounts/register", json={
        "email": email, "password": PASSWORD, "first_name": "Mario", "last_name": "Rossi",
        "privacy_accepted": True})
    assert r.status_code == 201, r.text
    tokens = await login(api, email, PASSWORD)
    return Customer(email=email, id=r.json()["id"],
                    headers={"Authorization": f"Bearer {tokens['access_token']}"})


async def add_line(api, headers, slug: str, answers: dict, quantity: int = 1,
                   quote: bool = False) -> dict:
    path = "/api/cart/quote/items" if quote else "/api/cart/items"
    r = await api.post(path, headers=headers,
                       json={"service_slug": slug, "answers": answers, "quantity": quantity})
    assert r.status_code == 201, r.text
    return r.json()


async def checkout(api, customer: Customer, method: str = "card", billing: dict | None = None,
                   key: str | None = None) -> str:
    r = await api.post("/api/cart/checkout",
                       headers={**customer.headers, "Idempotency-Key": key or uuid.uuid4().hex},
                       json={"billing": billing or BILLING,
                             "terms_version": TERMS_VERSION, "payment_method": method})
    assert r.status_code == 202, r.text
    return r.json()["order_id"]


async def wait_json(api, path: str, headers: dict, where=lambda body: True,
                    timeout: float = 20.0) -> dict:
    """GET `path` until it answers 200 with a body that satisfies `where`."""
    async def ready():
        r = await api.get(path, headers=headers)
        if r.status_code == 200 and where(r.json()):
            return r.json()
        return None

    return await wait_for(ready, timeout=timeout, interval=0.05, message=f"GET {path}")


async def wait_status(api, path: str, headers: dict, status: str, timeout: float = 20.0) -> dict:
    return await wait_json(api, path, headers, lambda b: b.get("status") == status, timeout)


async def pay_by_card(api, customer: Customer, order_id: str, card: dict | None = None) -> httpx.Response:
    """The customer's browser on the provider's hosted page: open it, type the card, submit."""
    r = await api.post(f"/api/orders/{order_id}/pay", headers=customer.headers)
    assert r.status_code == 200, r.text
    url = r.json()["redirect_url"]
    async with httpx.AsyncClient(timeout=10) as browser:
        page = await browser.get(url)
        assert page.status_code == 200, page.text
        return await browser.post(url, data=card or TEST_CARD)


def valid_until(days: int = 30) -> str:
    """A validity date as staff give it: days from today in Rome, the business's calendar."""
    return (datetime.now(ROME).date() + timedelta(days=days)).isoformat()


class Mailbox:
    """The SMTP sink's JSON inbox (tools/mailsink): `GET /api/messages?to=&subject=`."""

    def __init__(self, client: httpx.AsyncClient):
        self.client = client

    async def messages(self, to: str, subject: str | None = None) -> list[dict]:
        params = {"to": to, **({"subject": subject} if subject else {})}
        r = await self.client.get("/api/messages", params=params)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    async def wait(self, to: str, subject: str, count: int = 1, timeout: float = 20.0) -> list[dict]:
        async def arrived():
            found = await self.messages(to, subject)
            return found if len(found) >= count else None

        return await wait_for(arrived, timeout=timeout, interval=0.1,
                              message=f"{count} email(s) to {to} about «{subject}»")
