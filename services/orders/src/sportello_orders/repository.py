"""Reading and writing the orders service's rows: numbering, loading (and locking) an order,
keyset paging, the scans of the handlers and the job."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta

from sportello.contracts.events import InvoiceIssued
from sportello.contracts.fields import FieldError
from sportello.errors import NotFound, ValidationFailed
from sportello.numbering import next_yearly_number
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_orders import domain, schemas
from sportello_orders.domain import PaymentStatus
from sportello_orders.models import Order, OrderInvoice, Payment


async def next_number(session: AsyncSession, placed_at: datetime) -> str:
    """`SP-2026-000042`, the next of the Rome year. The counter row stays locked until the caller
    commits, so concurrent checkouts take turns and a rolled-back order gives its number back."""
    return await next_yearly_number(session, "orders", "SP", placed_at)


async def get_own(session: AsyncSession, order_id: uuid.UUID, customer_id: uuid.UUID,
                  *, lock: bool = False) -> Order:
    """The customer's order; 404 if it does not exist or is someone else's."""
    order = await get(session, order_id, lock=lock)
    if order.customer_id != customer_id:
        raise NotFound("Ordine non trovato.")
    return order


async def get(session: AsyncSession, order_id: uuid.UUID, *, lock: bool = False) -> Order:
    query = select(Order).where(Order.id == order_id)
    if lock:
        # Serialise moves of one order (a webhook and a cancel arriving together).
        query = query.with_for_update().execution_options(populate_existing=True)
    order = (await session.execute(query)).scalar_one_or_none()
    if order is None:
        raise NotFound("Ordine non trovato.")
    return order


async def of_customer(session: AsyncSession, customer_id: uuid.UUID) -> list[Order]:
    """Every order of a customer, locked."""
    return list((await session.execute(
        select(Order).where(Order.customer_id == customer_id).with_for_update()
    )).scalars().all())


async def unpaid_overdue(session: AsyncSession, now: datetime, card_cut: datetime,
                         transfer_cut: datetime, grace: timedelta, limit: int) -> list[Order]:
    """Unpaid orders placed before their method's cut, no payment attempt under way; locked,
    skipping those another replica holds."""
    paying_now = exists().where(Payment.order_id == Order.id,
                                Payment.status == PaymentStatus.PENDING.value,
                                Payment.created_at > now - grace)
    return list((await session.execute(
        select(Order)
        .where(Order.status.in_([s.value for s in domain.UNPAID]),
               or_(and_(Order.payment_method == "card", Order.placed_at < card_cut),
                   and_(Order.payment_method == "bank_transfer", Order.placed_at < transfer_cut)),
               ~paying_now)
        .order_by(Order.placed_at).limit(limit).with_for_update(skip_locked=True)
    )).scalars().all())


async def list_own(session: AsyncSession, customer_id: uuid.UUID, limit: int, cursor: str | None,
                   render) -> schemas.Page:
    query = select(Order).where(Order.customer_id == customer_id)
    return await page(session, query, limit, cursor, render)


async def list_for_staff(session: AsyncSession, status: str | None, customer_id: uuid.UUID | None,
                         number: str | None, limit: int, cursor: str | None, render) -> schemas.Page:
    query = select(Order)
    if status:
        query = query.where(Order.status == status)
    if customer_id:
        query = query.where(Order.customer_id == customer_id)
    if number:
        query = query.where(Order.number == number.strip().upper())
    return await page(session, query, limit, cursor, render)


async def page(session: AsyncSession, query, limit: int, cursor: str | None, render):
    """Newest first, keyset-paged on (placed_at, id)."""
    if cursor:
        placed_at, last_id = decode_cursor(cursor)
        query = query.where(or_(Order.placed_at < placed_at,
                                and_(Order.placed_at == placed_at, Order.id < last_id)))
    rows = (await session.execute(
        query.order_by(Order.placed_at.desc(), Order.id.desc()).limit(limit + 1)
    )).scalars().all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1]) if more else None
    return schemas.Page(items=[render(o) for o in rows], next_cursor=next_cursor)


def encode_cursor(order: Order) -> str:
    raw = json.dumps([order.placed_at.isoformat(), str(order.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        placed_at, last_id = json.loads(raw)
        when = datetime.fromisoformat(placed_at)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, uuid.UUID(last_id)
    except (ValueError, TypeError) as e:
        raise ValidationFailed([FieldError(field="cursor", message="Cursore non valido.")]) from e


async def add_invoice(session: AsyncSession, data: InvoiceIssued) -> None:
    """Once per invoice; an invoice of an order this service never had is left aside."""
    if await session.get(Order, data.order_id) is None:
        return
    await session.execute(insert(OrderInvoice).values(
        invoice_id=data.invoice_id, order_id=data.order_id, number=data.number, kind=data.kind,
        issued_at=data.issued_at, status="issued").on_conflict_do_nothing())
