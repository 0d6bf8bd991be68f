"""The public reads, rendered straight to JSON bytes so the hot ones can be cached as they are sent."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from sportello.contracts.fields import FieldError
from sportello.errors import ValidationFailed
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_catalog import domain
from sportello_catalog.models import Category, Service
from sportello_catalog.publishing import content_of


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


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


_ORDER = (Service.position, Service.name, Service.slug)


async def categories(session: AsyncSession) -> bytes:
    rows = await session.execute(
        select(Category, func.count(Service.id).filter(Service.active))
        .outerjoin(Service, Service.category_id == Category.id)
        .group_by(Category.id)
        .order_by(Category.position, Category.name)
    )
    return dumps([category_json(c, n) for c, n in rows])


async def category(session: AsyncSession, slug: str) -> bytes | None:
    if not domain.SLUG_RE.match(slug):
        return None
    found = await session.scalar(select(Category).where(Category.slug == slug))
    if found is None:
        return None
    services = list(await session.scalars(
        select(Service).where(Service.category_id == found.id, Service.active).order_by(*_ORDER)))
    return dumps({**category_json(found, len(services)), "services": [summary(s) for s in services]})


async def service(session: AsyncSession, slug: str, *, include_retired: bool = False) -> bytes | None:
    if not domain.SLUG_RE.match(slug):
        return None
    query = select(Service).where(Service.slug == slug)
    if not include_retired:
        query = query.where(Service.active)
    found = await session.scalar(query)
    return None if found is None else dumps(detail(found))


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        offset = int(text.removeprefix("o:")) if text.startswith("o:") else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        offset = -1
    if not 0 <= offset <= 1_000_000:
        raise ValidationFailed([FieldError(field="cursor", message="Cursore non valido.")])
    return offset


async def services_page(session: AsyncSession, category_slug: str | None, q: str | None,
                        limit: int, offset: int) -> bytes:
    """One page of active services, optionally of one category and matching an Italian text search."""
    if category_slug and not domain.SLUG_RE.match(category_slug):
        return dumps({"items": [], "next_cursor": None})
    query = select(Service).join(Category, Service.category_id == Category.id).where(Service.active)
    if category_slug:
        query = query.where(Category.slug == category_slug)
    order = (Category.position, Category.name, *_ORDER)
    q = (q or "").replace("\x00", " ")
    if q.strip():
        # websearch syntax never fails to parse; the `italian` stemmer makes "traduzioni" find
        # "traduzione". Best matches first (the name weighs most, see models.SEARCH_DOCUMENT).
        tsquery = func.websearch_to_tsquery("italian", q)
        query = query.where(Service.search.op("@@")(tsquery)).order_by(
            func.ts_rank(Service.search, tsquery).desc(), *order)
    else:
        query = query.order_by(*order)
    rows = list(await session.scalars(query.offset(offset).limit(limit + 1)))
    more = len(rows) > limit
    return dumps({
        "items": [summary(s) for s in rows[:limit]],
        "next_cursor": encode_cursor(offset + limit) if more else None,
    })
