"""Fixtures of the back office's page and browser tests: the whole system (real processes, the
back office among them), a staff member's and a customer's way in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest
from sportello.testing import wait_for
from sportello.testing.forms import post_form

from .browser_steps import new_page  # noqa: F401 (a fixture of the browser tests)

CUSTOMER_PASSWORD = "Una-password-lunga-2026"
SU_MISURA = "sito-su-misura"  # quote only, in the demo catalog
QUOTE_ANSWERS = {"progetto": "Un sito per la nostra trattoria.", "budget": "5k-15k"}
# Quote only and exempt (accredited training, art. 10 n. 20 DPR 633/72), in the demo catalog.
CORSO_SU_MISURA = "formazione-su-misura"
CORSO_ANSWERS = {"argomento": "Sicurezza informatica per l'ufficio", "partecipanti": 12,
                 "modalita": "sede"}


@pytest.fixture
async def office(system):
    """A fresh visitor (own cookie jar) on the running back office process."""
    async with httpx.AsyncClient(base_url=system.settings.backoffice_url, timeout=15) as c:
        yield c


@pytest.fixture
async def api(system):
    async with httpx.AsyncClient(base_url=system.settings.gateway_url, timeout=15) as c:
        yield c


async def staff_login(office: httpx.AsyncClient, system) -> httpx.Response:
    r = await post_form(office, "/accedi", "/accedi",
                        {"email": system.staff_email, "password": system.staff_password})
    assert r.status_code == 303, r.text
    return r


@dataclass
class Customer:
    email: str
    headers: dict[str, str]


async def register(api: httpx.AsyncClient, email: str | None = None) -> Customer:
    email = email or f"cliente-{uuid.uuid4().hex[:12]}@example.com"
    r = await api.post("/api/accounts/register", json={
        "email": email, "password": CUSTOMER_PASSWORD, "first_name": "Maria",
        "last_name": "Bianchi", "privacy_accepted": True})
    assert r.status_code == 201, r.text
    r = await api.post("/api/accounts/login", json={"email": email, "password": CUSTOMER_PASSWORD})
    assert r.status_code == 200, r.text
    return Customer(email, {"Authorization": f"Bearer {r.json()['access_token']}"})


async def request_quote(api: httpx.AsyncClient, customer: Customer,
                        message: str = "Vorremmo partire a marzo.", slug: str = SU_MISURA,
                        answers: dict | None = None) -> dict:
    """The customer asks for a quote through the API; the quote once quotes has recorded it."""
    r = await api.post("/api/cart/quote/items", headers=customer.headers,
                       json={"service_slug": slug, "answers": answers or QUOTE_ANSWERS})
    assert r.status_code == 201, r.text
    r = await api.post("/api/cart/quote/submit", json={"message": message},
                       headers={**customer.headers, "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 202, r.text
    return await customer_quote(api, customer, r.json()["quote_id"], "requested")


async def customer_quote(api: httpx.AsyncClient, customer: Customer, quote_id: str,
                         status: str) -> dict:
    """The customer's view of a quote, once it has `status`."""
    async def seen():
        r = await api.get(f"/api/quotes/{quote_id}", headers=customer.headers)
        return r.json() if r.status_code == 200 and r.json()["status"] == status else None

    return await wait_for(seen, timeout=20, message=f"quote {quote_id} {status}")


BILLING = {
    "customer_type": "privato", "first_name": "Maria", "last_name": "Bianchi",
    "tax_code": "RSSMRA85T10A562S",
    "address": {"street": "Via Roma 1", "postal_code": "20121", "city": "Milano",
                "province": "MI", "country": "IT"},
    "email": "maria.bianchi@example.com",
}
SITO = "sito-vetrina"  # fixed price, in the demo catalog
SITO_ANSWERS = {"pagine_extra": 0, "lingue": "it", "dominio": "bianchi.it"}


async def bank_transfer_order(api: httpx.AsyncClient, customer: Customer,
                              last_name: str = "Bianchi", early_start: bool = False) -> dict:
    """The customer buys by bank transfer through the API; the order once orders has it
    (`last_name` on the invoice: the SDI sandbox plans its receipts by the buyer's surname;
    `early_start`: the consumer asks to start within the withdrawal period)."""
    from sportello.contracts.legal import TERMS_VERSION

    r = await api.post("/api/cart/items", headers=customer.headers,
                       json={"service_slug": SITO, "answers": SITO_ANSWERS})
    assert r.status_code == 201, r.text
    r = await api.post("/api/cart/checkout",
                       headers={**customer.headers, "Idempotency-Key": uuid.uuid4().hex},
                       json={"billing": {**BILLING, "last_name": last_name},
                             "terms_version": TERMS_VERSION,
                             "payment_method": "bank_transfer",
                             "early_start_consent": early_start})
    assert r.status_code == 202, r.text
    return await customer_order(api, customer, r.json()["order_id"], "awaiting_payment")


async def customer_order(api: httpx.AsyncClient, customer: Customer, order_id: str,
                         status: str) -> dict:
    async def seen():
        r = await api.get(f"/api/orders/{order_id}", headers=customer.headers)
        return r.json() if r.status_code == 200 and r.json()["status"] == status else None

    return await wait_for(seen, timeout=20, message=f"order {order_id} {status}")


async def confirm_transfer(office: httpx.AsyncClient, order_id: str) -> None:
    """Staff (logged in on `office`) confirm the order's bank transfer on its page."""
    path = f"/ordini/{order_id}"
    r = await post_form(office, path, f"{path}/conferma-bonifico", {"transfer_note": ""})
    assert r.status_code == 303, r.text


async def plan_sdi(system, buyer: str, *outcomes: str) -> None:
    """The SDI sandbox's next receipts (RC, NS, MC) for the invoices of this buyer's surname."""
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{system.settings.sdi_sandbox_url}/v1/outcomes",
                            json={"buyer": buyer, "outcomes": list(outcomes)})
        assert r.status_code == 204, r.text


async def staff_headers(api: httpx.AsyncClient, system) -> dict[str, str]:
    r = await api.post("/api/accounts/login",
                       json={"email": system.staff_email, "password": system.staff_password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def documents_know(api: httpx.AsyncClient, system, kind: str, parent_id: str) -> None:
    """Wait until documents has heard of the order or quote (its event): deliveries need it."""
    headers = await staff_headers(api, system)

    async def known():
        r = await api.get(f"/api/staff/{kind}/{parent_id}/documents", headers=headers)
        return r.status_code == 200

    await wait_for(known, timeout=20, message=f"documents knows {kind} {parent_id}")
