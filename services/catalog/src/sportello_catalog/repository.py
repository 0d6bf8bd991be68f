"""Reading and writing the catalog's rows: the revision row (lock, bump, NOTIFY), services and
categories by slug, the public reads (paged by offset: the search ranks them)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from sportello.contracts.tax import EXEMPTIONS
from sportello.paging import encode_offset
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_catalog import domain
from sportello_catalog.models import Category, Service

# Every replica's read cache listens here; the payload is the new catalog revision.
NOTIFY_CHANNEL = "sportello_catalog"

_LOCK = text("SELECT revision FROM catalog_revision WHERE id = 1 FOR UPDATE")
_BUMP = text("UPDATE catalog_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision")
_NOTIFY = text(f"SELECT pg_notify('{NOTIFY_CHANNEL}', :revision)")


async def lock_catalog(session: AsyncSession) -> None:
    await session.execute(_LOCK)


async def bump_revision(session: AsyncSession) -> int:
    """Mark the catalog changed. The NOTIFY is delivered at commit, never for a rollback."""
    revision = await session.scalar(_BUMP)
    await session.execute(_NOTIFY, {"revision": str(revision)})
    # The route tells its own replica's cache right after commit (read-your-writes).
    session.info["catalog_revision"] = revision
    return revision


async def category_by_slug(session: AsyncSession, slug: str) -> Category | None:
    if not domain.SLUG_RE.match(slug):  # cannot exist; and a NUL byte would upset PostgreSQL
        return None
    return await session.scalar(select(Category).where(Category.slug == slug))


async def service_by_slug(session: AsyncSession, slug: str) -> Service | None:
    if not domain.SLUG_RE.match(slug):
        return None
    return await session.scalar(select(Service).where(Service.slug == slug))


async def active_services_of(session: AsyncSession, category_id: uuid.UUID) -> Sequence[Service]:
    return list(await session.scalars(
        select(Service).where(Service.category_id == category_id, Service.active)))


# --- the public reads ---------------------------------------------------------------------------

_ORDER = (Service.position, Service.name, Service.slug)


async def categories(session: AsyncSession) -> Sequence[tuple[Category, int]]:
    """Every category with its number of active services."""
    rows = await session.execute(
        select(Category, func.count(Service.id).filter(Service.active))
        .outerjoin(Service, Service.category_id == Category.id)
        .group_by(Category.id)
        .order_by(Category.position, Category.name)
    )
    return [(c, n) for c, n in rows]


async def category(session: AsyncSession, slug: str) -> tuple[Category, list[Service]] | None:
    """A category and its active services, in their order."""
    if not domain.SLUG_RE.match(slug):
        return None
    found = await session.scalar(select(Category).where(Category.slug == slug))
    if found is None:
        return None
    services = list(await session.scalars(
        select(Service).where(Service.category_id == found.id, Service.active).order_by(*_ORDER)))
    return found, services


async def all_services(session: AsyncSession, limit: int) -> list[Service]:
    """Every service, retired too, by category then in each category's order (staff's list)."""
    return list(await session.scalars(
        select(Service).join(Category, Service.category_id == Category.id)
        .order_by(Category.position, Category.name, *_ORDER).limit(limit)))


async def service(session: AsyncSession, slug: str, *, include_retired: bool = False) -> Service | None:
    if not domain.SLUG_RE.match(slug):
        return None
    query = select(Service).where(Service.slug == slug)
    if not include_retired:
        query = query.where(Service.active)
    return await session.scalar(query)


async def services_page(session: AsyncSession, category_slug: str | None, limit: int,
                        offset: int) -> tuple[list[Service], str | None]:
    """One page of active services, optionally of one category, and the cursor of the next page."""
    if category_slug and not domain.SLUG_RE.match(category_slug):
        return [], None
    query = select(Service).join(Category, Service.category_id == Category.id).where(Service.active)
    if category_slug:
        query = query.where(Category.slug == category_slug)
    query = query.order_by(Category.position, Category.name, *_ORDER)
    rows = list(await session.scalars(query.offset(offset).limit(limit + 1)))
    more = len(rows) > limit
    return rows[:limit], encode_offset(offset + limit) if more else None


# The search in one statement that also renders the summaries (views.summary's keys and order):
# the uncached free-text read must not pay for ORM rows and per-row form parsing. Stemmed or as
# written, without accents, each word a prefix (models.SEARCH_DOCUMENT); best matches first.
# The law reference of each exemption, as the summaries show it (views.summary).
EXEMPTION_NOTES = json.dumps({key: note for key, (_nature, note) in EXEMPTIONS.items()})
_SEARCH = """
WITH query AS (
  SELECT to_tsquery('sportello_italian', $1) || to_tsquery('sportello_simple', $1) AS q
), hits AS (
  SELECT s.slug, s.name, s.short_description, c.slug AS category_slug, c.name AS category_name,
         s.pricing_mode, s.price_from_cents, s.vat_rate_bp, s.vat_exemption,
         s.pricing_mode = 'quote' OR s.quote_allowed AS quote_allowed,
         row_number() OVER (ORDER BY ts_rank(s.search, query.q) DESC, c.position, c.name,
                                     s.position, s.name, s.slug) AS n
  FROM services s JOIN categories c ON c.id = s.category_id, query
  WHERE s.active AND s.search @@ query.q AND ($2::text IS NULL OR c.slug = $2)
  ORDER BY n OFFSET $3 LIMIT $4 + 1
)
SELECT coalesce(json_agg(json_build_object(
         'slug', slug, 'name', name, 'short_description', short_description,
         'category', json_build_object('slug', category_slug, 'name', category_name),
         'pricing_mode', pricing_mode, 'price_from_cents', price_from_cents,
         'vat_rate_bp', vat_rate_bp, 'quote_allowed', quote_allowed,
         'vat_exemption', vat_exemption, 'vat_exemption_note', $5::jsonb ->> vat_exemption) ORDER BY n)
         FILTER (WHERE n <= $3 + $4), '[]')::text,
       count(*) > $4
FROM hits
"""


async def search_page(connection, terms: str, category_slug: str | None, limit: int,
                      offset: int) -> tuple[str, str | None]:
    """(the JSON array of the matching summaries, the next page's cursor), read through an
    asyncpg pool or connection; `terms` as domain.search_terms makes them."""
    if category_slug and not domain.SLUG_RE.match(category_slug):
        return "[]", None
    items, more = await connection.fetchrow(_SEARCH, terms, category_slug, offset, limit,
                                            EXEMPTION_NOTES)
    return items, encode_offset(offset + limit) if more else None
