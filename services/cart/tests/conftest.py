"""Fixtures of the cart tests: the service running against this run's database and broker,
and helpers that play the other services (catalog, accounts, quotes) through real events."""

from __future__ import annotations

import uuid

import pytest
from sportello.contracts.events import (
    CategoryRef,
    ServicePublished,
    ServiceRetired,
    ServiceSnapshot,
)
from sportello.contracts.forms import FormDefinition
from sportello.testing import bearer, publish_event, running_service, wait_for
from sportello_cart.app import service
from sportello_cart.models import CatalogService

# A typical form: a required text, a priced number, a select with a percent surcharge, a checkbox.
FIELDS = [
    {"name": "company", "label": "Azienda", "type": "text", "required": True, "max_length": 50},
    {"name": "pages", "label": "Pagine", "type": "number", "required": True, "min": 1, "max": 20,
     "unit_price_cents": 5000},
    {"name": "urgency", "label": "Urgenza", "type": "select", "required": True, "options": [
        {"value": "normal", "label": "Normale"},
        {"value": "urgent", "label": "Urgente (+30%)", "percent_bp": 3000}]},
    {"name": "hosting", "label": "Hosting", "type": "checkbox", "price_cents": 2000},
]
ANSWERS = {"company": "Rossi S.r.l.", "pages": 3, "urgency": "normal"}
# 100,00 base + 3 × 50,00 = 250,00 net; VAT 22 % = 55,00
ANSWERS_UNIT_NET = 25000


@pytest.fixture(scope="session")
async def client(settings):
    async with running_service(service, settings) as c:
        yield c


def snapshot(slug: str | None = None, *, version: int = 1, pricing_mode: str = "fixed",
             base_net_cents: int | None = 10000, vat_rate_bp: int = 2200, fields=None,
             quote_allowed: bool = False, name: str = "Sito vetrina") -> ServiceSnapshot:
    return ServiceSnapshot(
        slug=slug or f"svc-{uuid.uuid4().hex[:10]}", name=name,
        category=CategoryRef(slug="web", name="Siti web"), pricing_mode=pricing_mode,
        base_net_cents=base_net_cents, vat_rate_bp=vat_rate_bp,
        form=FormDefinition.model_validate({"fields": FIELDS if fields is None else fields}),
        quote_allowed=quote_allowed, version=version,
    )


async def _replica(client, slug: str) -> CatalogService | None:
    async with client.app.state.sessionmaker() as s:
        return await s.get(CatalogService, slug)


async def publish(settings, client, snap: ServiceSnapshot) -> ServiceSnapshot:
    """Publish as catalog would, and wait until the cart's replica holds this version."""
    await publish_event(settings, "catalog.service.published", ServicePublished(service=snap),
                        producer="catalog")

    async def arrived():
        row = await _replica(client, snap.slug)
        return row is not None and row.version >= snap.version

    await wait_for(arrived, message=f"replica of {snap.slug} v{snap.version}")
    return snap


async def retire(settings, client, slug: str, version: int) -> None:
    await publish_event(settings, "catalog.service.retired", ServiceRetired(slug=slug, version=version),
                        producer="catalog")

    async def gone():
        row = await _replica(client, slug)
        return row is not None and not row.active

    await wait_for(gone, message=f"retirement of {slug}")


class Customer:
    def __init__(self, settings, email: str | None = None):
        self.id = uuid.uuid4()
        self.email = email
        self.headers = bearer(settings, self.id, "customer", email)

    def with_key(self, key: str) -> dict[str, str]:
        return {**self.headers, "Idempotency-Key": key}


@pytest.fixture
def customer(settings) -> Customer:
    return Customer(settings, email=f"c{uuid.uuid4().hex[:6]}@example.it")


@pytest.fixture
async def fixed_service(settings, client) -> ServiceSnapshot:
    return await publish(settings, client, snapshot())


BILLING = {
    "customer_type": "privato", "first_name": "Mario", "last_name": "Rossi",
    "tax_code": "RSSMRA85T10A562S",
    "address": {"street": "Via Roma 1", "postal_code": "20121", "city": "Milano",
                "province": "mi", "country": "IT"},
    "email": "Mario.Rossi@Example.it",
}
