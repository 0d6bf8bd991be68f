"""Catalog rows → the answers of schemas.py, rendered straight to JSON bytes so the hot reads can
be cached as they are sent; and a service row → the domain's ServiceContent."""

from __future__ import annotations

import json
from typing import Any

from sportello.contracts.tax import EXEMPTIONS

from sportello_catalog import domain
from sportello_catalog.domain import ServiceContent
from sportello_catalog.models import Category, Service


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def content_of(service: Service) -> ServiceContent:
    return ServiceContent(
        slug=service.slug,
        category=service.category.slug,
        name=service.name,
        short_description=service.short_description,
        description=service.description,
        pricing_mode=service.pricing_mode,  # type: ignore[arg-type]
        base_net_cents=service.base_net_cents,
        vat_rate_bp=service.vat_rate_bp,
        form=domain.FormDefinition.model_validate(service.form),
        quote_allowed=service.quote_allowed,
        position=service.position,
        vat_exemption=service.vat_exemption,
    )


def summary(service: Service) -> dict[str, Any]:
    content = content_of(service)
    return {
        "slug": service.slug,
        "name": service.name,
        "short_description": service.short_description,
        "category": {"slug": service.category.slug, "name": service.category.name},
        "pricing_mode": service.pricing_mode,
        "price_from_cents": domain.price_from_cents(content),
        "vat_rate_bp": service.vat_rate_bp,
        "quote_allowed": domain.effective_quote_allowed(content),
        "vat_exemption": service.vat_exemption,
        "vat_exemption_note": EXEMPTIONS[service.vat_exemption][1] if service.vat_exemption else None,
    }


def detail(service: Service) -> dict[str, Any]:
    return {
        **summary(service),
        "description": service.description,
        "base_net_cents": service.base_net_cents,
        "form": service.form,
        "version": service.version,
        "active": service.active,
    }


def category_json(category: Category, service_count: int) -> dict[str, Any]:
    return {"slug": category.slug, "name": category.name, "description": category.description,
            "service_count": service_count}


def categories(rows: list[tuple[Category, int]]) -> bytes:
    return dumps([category_json(c, n) for c, n in rows])


def category(found: Category, services: list[Service]) -> bytes:
    return dumps({**category_json(found, len(services)), "services": [summary(s) for s in services]})


def service(found: Service) -> bytes:
    return dumps(detail(found))


def services_page(rows: list[Service], next_cursor: str | None) -> bytes:
    return dumps({"items": [summary(s) for s in rows], "next_cursor": next_cursor})


def search_page(items_json: str, next_cursor: str | None) -> bytes:
    """The page of a search whose summaries the database rendered already (repository._SEARCH)."""
    return b'{"items":' + items_json.encode() + b',"next_cursor":' + dumps(next_cursor) + b"}"
