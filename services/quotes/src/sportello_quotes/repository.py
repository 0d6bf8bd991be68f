"""Reading and locking quotes, giving numbers, and paging lists (keyset cursors)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sportello import replicas
from sportello.contracts.events import Contact as ContactPayload
from sportello.contracts.events import ServiceSnapshot
from sportello.errors import NotFound
from sportello.numbering import next_yearly_number
from sportello.paging import keyset_page
from sqlalchemy import Select, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from sportello_quotes import domain
from sportello_quotes.models import CatalogService, Contact, Quote

NOT_FOUND = "Preventivo non trovato."


async def next_number(session: AsyncSession, now: datetime) -> str:
    """`PR-2026-000012`, the next of the Rome year. The counter row stays locked until the
    transaction ends, so two requests never get the same number and a rollback leaves no gap."""
    return await next_yearly_number(session, "quotes", "PR", now)


def _full(stmt: Select) -> Select:
    """A quote with everything its views and actions read (a quote has few revisions)."""
    return stmt.options(selectinload(Quote.lines), selectinload(Quote.history),
                        selectinload(Quote.revisions), selectinload(Quote.messages))


async def exists(session: AsyncSession, quote_id: uuid.UUID) -> bool:
    return await session.scalar(select(Quote.id).where(Quote.id == quote_id)) is not None


async def get(session: AsyncSession, quote_id: uuid.UUID, *,
              for_update: bool = False) -> Quote | None:
    stmt = _full(select(Quote).where(Quote.id == quote_id))
    if for_update:
        # Lock the quote row only (the relationships load in their own SELECTs).
        stmt = stmt.with_for_update(of=Quote)
    return (await session.scalars(stmt)).first()


async def get_any(session: AsyncSession, quote_id: uuid.UUID, *,
                  for_update: bool = False) -> Quote:
    quote = await get(session, quote_id, for_update=for_update)
    if quote is None:
        raise NotFound(NOT_FOUND)
    return quote


async def get_own(session: AsyncSession, quote_id: uuid.UUID, customer_id: uuid.UUID, *,
                  for_update: bool = False) -> Quote:
    """The customer's own quote; another customer's answers 404, exactly like a missing one."""
    quote = await get(session, quote_id, for_update=for_update)
    if quote is None or quote.customer_id != customer_id:
        raise NotFound(NOT_FOUND)
    return quote


async def of_customer(session: AsyncSession, customer_id: uuid.UUID, *,
                      for_update: bool = False) -> list[Quote]:
    stmt = _full(select(Quote).where(Quote.customer_id == customer_id).order_by(Quote.id))
    if for_update:
        stmt = stmt.with_for_update(of=Quote)
    return list((await session.scalars(stmt)).all())


async def due_for_expiry(session: AsyncSession, today: date, limit: int) -> list[Quote]:
    """Quoted quotes whose last valid day is before `today`; rows another transaction holds
    (a customer accepting right now) are skipped and seen again on the next round."""
    stmt = _full(
        select(Quote)
        .where(Quote.status == domain.Status.QUOTED, Quote.valid_until < today)
        .order_by(Quote.valid_until, Quote.id)
        .limit(limit)
        .with_for_update(of=Quote, skip_locked=True)
    )
    return list((await session.scalars(stmt)).all())


async def due_for_expiry_reminder(session: AsyncSession, last_day: date, today: date,
                                  limit: int) -> list[Quote]:
    """Quoted quotes whose last valid day is between today and `last_day`, not yet reminded."""
    stmt = _full(
        select(Quote)
        .where(Quote.status == domain.Status.QUOTED, Quote.expiry_reminded_at.is_(None),
               Quote.valid_until >= today, Quote.valid_until <= last_day)
        .order_by(Quote.valid_until, Quote.id)
        .limit(limit)
        .with_for_update(of=Quote, skip_locked=True)
    )
    return list((await session.scalars(stmt)).all())


async def waiting_for_price(session: AsyncSession, created_before: datetime,
                            limit: int) -> list[Quote]:
    """Requests still unpriced and not yet reminded, created before the given time."""
    stmt = (
        select(Quote)
        .where(Quote.status == domain.Status.REQUESTED, Quote.pricing_reminded_at.is_(None),
               Quote.created_at < created_before)
        .order_by(Quote.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(stmt)).all())


# --- replicas -----------------------------------------------------------------------------------


async def contact(session: AsyncSession, account_id: uuid.UUID) -> ContactPayload | None:
    return await replicas.contact(session, Contact, account_id)


async def forget_contact(session: AsyncSession, account_id: uuid.UUID) -> None:
    await session.execute(delete(Contact).where(Contact.account_id == account_id))


async def service(session: AsyncSession, slug: str) -> ServiceSnapshot | None:
    return await replicas.service(session, CatalogService, slug)


# --- paging -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    items: list[Quote]
    next_cursor: str | None


async def page(session: AsyncSession, stmt: Select, *, limit: int, cursor: str | None,
               newest_first: bool) -> Page:
    """One page of `stmt` (a select of Quote) in (created_at, id) order, then the next cursor."""
    rows, next_cursor = await keyset_page(session, stmt, Quote.created_at, Quote.id, limit=limit,
                                          cursor=cursor, newest_first=newest_first)
    return Page(rows, next_cursor)


async def list_own(session: AsyncSession, customer_id: uuid.UUID, *, limit: int,
                   cursor: str | None) -> Page:
    stmt = select(Quote).where(Quote.customer_id == customer_id)
    return await page(session, stmt, limit=limit, cursor=cursor, newest_first=True)


async def list_for_staff(session: AsyncSession, *, status: str | None, created_before: datetime | None,
                         limit: int, cursor: str | None,
                         customer_id: uuid.UUID | None = None) -> Page:
    """Oldest first: staff work through the queue from the request that has waited longest.
    One customer's quotes come newest first, like the customer's own list."""
    stmt = select(Quote).options(selectinload(Quote.lines))
    if status is not None:
        stmt = stmt.where(Quote.status == status)
    if created_before is not None:
        stmt = stmt.where(Quote.created_at <= created_before)
    if customer_id is not None:
        stmt = stmt.where(Quote.customer_id == customer_id)
    return await page(session, stmt, limit=limit, cursor=cursor,
                      newest_first=customer_id is not None)


# --- the back office's figures (SQL aggregates on indexed columns) --------------------------

# Of the quotes requested since then: how many reached each step (their history says so) and the
# median time from the request to the first price.
_FUNNEL = text("""
    WITH window_quotes AS (
        SELECT id, created_at FROM quotes WHERE created_at >= :since
    ), steps AS (
        SELECT w.id, w.created_at,
               min(h.at) FILTER (WHERE h.status = 'quoted') AS first_quoted_at,
               bool_or(h.status = 'accepted') AS accepted,
               bool_or(h.status = 'ordered') AS ordered
        FROM window_quotes w LEFT JOIN quote_status_history h ON h.quote_id = w.id
        GROUP BY w.id, w.created_at
    )
    SELECT count(*) AS requested,
           count(first_quoted_at) AS quoted,
           count(*) FILTER (WHERE accepted) AS accepted,
           count(*) FILTER (WHERE ordered) AS ordered,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM first_quoted_at - created_at)) AS median_seconds
    FROM steps""")
_QUEUES = text("""
    SELECT count(*) FILTER (WHERE status = 'requested') AS to_price,
           count(*) FILTER (WHERE status = 'changes_requested') AS changes_requested
    FROM quotes WHERE status IN ('requested', 'changes_requested')""")


async def funnel_rows(session: AsyncSession, since: datetime) -> tuple[dict, dict]:
    funnel = (await session.execute(_FUNNEL, {"since": since})).one()._asdict()
    queues = (await session.execute(_QUEUES)).one()._asdict()
    return funnel, queues
