"""Fixtures of the catalog tests: the service running against this run's database and broker."""

from __future__ import annotations

import uuid

import pytest
from sportello.testing import bearer, running_service, wait_for
from sportello_catalog.app import service


@pytest.fixture(scope="session")
async def client(settings):
    async with running_service(service, settings) as c:
        # The read cache is on only once its LISTEN connection is up: test it as it runs.
        await wait_for(lambda: c.app.state.catalog_cache.live, message="catalog cache live")
        yield c


@pytest.fixture(scope="session")
def staff(settings) -> dict[str, str]:
    return bearer(settings, uuid.uuid4(), "staff")


@pytest.fixture(scope="session")
def customer(settings) -> dict[str, str]:
    return bearer(settings, uuid.uuid4(), "customer")


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _service_body(slug: str, category: str, **overrides) -> dict:
    """A fixed-price translation service with a form whose answers change the price."""
    body = {
        "slug": slug,
        "category": category,
        "name": "Traduzione giurata di prova",
        "short_description": "Traduzione di documenti ufficiali.",
        "description": "Una traduzione asseverata in tribunale, per uso legale.",
        "pricing_mode": "fixed",
        "base_net_cents": 5000,
        "vat_rate_bp": 2200,
        "form": {"fields": [
            {"name": "pagine", "label": "Pagine", "type": "number", "required": True,
             "min": 1, "max": 100, "unit_price_cents": 2500},
            {"name": "lingua", "label": "Lingua", "type": "select", "required": True,
             "options": [{"value": "en", "label": "Inglese"},
                         {"value": "de", "label": "Tedesco", "price_cents": 1000}]},
            {"name": "urgente", "label": "Urgente", "type": "checkbox", "percent_bp": 3000},
        ]},
    }
    body.update(overrides)
    return body


@pytest.fixture
async def category(client, staff) -> str:
    slug = _unique("cat")
    r = await client.post("/api/staff/catalog/categories", headers=staff,
                          json={"slug": slug, "name": "Categoria di prova", "description": "Per i test."})
    assert r.status_code == 201, r.text
    return slug


@pytest.fixture(scope="session")
def unique():
    """unique("sito") → a slug no other test uses."""
    return _unique


@pytest.fixture(scope="session")
def service_body():
    """service_body(slug, category, **overrides) → a valid staff create body."""
    return _service_body
