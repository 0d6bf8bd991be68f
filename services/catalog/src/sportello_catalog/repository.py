"""Reading and writing the catalog's rows: the revision row (lock, bump, NOTIFY), services and
categories by slug, the public reads (paged by offset: the search ranks them)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

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


async def service(session: AsyncSession, slug: str, *, include_retired: bool = False) -> Service | None:
    if not domain.SLUG_RE.match(slug):
        return None
    query = select(Service).where(Service.slug == slug)
    if not include_retired:
        query = query.where(Service.active)
    return await session.scalar(query)


async def services_page(session: AsyncSession, category_slug: str | None, q: str | None,
                        limit: int, offset: int) -> tuple[list[Service], str | None]:
    """One page of active services, optionally of one category and matching an Italian text
    search, and the cursor of the next page."""
    if category_slug and not domain.SLUG_RE.match(category_slug):
        return [], None
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
    return rows[:limit], encode_offset(offset + limit) if more else None
