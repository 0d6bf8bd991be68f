"""Reading and writing the orders service's rows: numbering, loading (and locking) an order,
keyset paging, the scans of the handlers and the job."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sportello.contracts.events import DocumentDelivered, InvoiceIssued, InvoiceSdiOutcome
from sportello.errors import NotFound
from sportello.numbering import next_yearly_number
from sportello.paging import keyset_page
from sqlalchemy import and_, exists, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from sportello_orders import domain, schemas
from sportello_orders.domain import PaymentStatus
from sportello_orders.models import Order, OrderInvoice, Payment, ProviderEvent, StatusChange
from sportello_orders.providers import WebhookEvent


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
    order = await find(session, order_id, lock=lock)
    if order is None:
        raise NotFound("Ordine non trovato.")
    return order


async def find(session: AsyncSession, order_id: uuid.UUID, *, lock: bool = False) -> Order | None:
    query = select(Order).where(Order.id == order_id)
    if lock:
        # Serialise moves of one order (a webhook and a cancel arriving together).
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def find_locked(session: AsyncSession, order_id: uuid.UUID | None) -> Order | None:
    """The order a provider event names, locked; None when it names none we know."""
    return None if order_id is None else await find(session, order_id, lock=True)


# --- payments and provider events ---------------------------------------------------------------


async def record_provider_event(session: AsyncSession, provider: str, event: WebhookEvent,
                                now: datetime) -> bool:
    """Keep a provider event's id; False when it was already kept (a replay or a duplicate)."""
    first = await session.execute(
        insert(ProviderEvent).values(
            provider=provider, event_id=event.event_id, order_id=event.order_id,
            session_id=event.session_id, outcome=event.outcome, result="received", received_at=now,
        ).on_conflict_do_nothing().returning(ProviderEvent.event_id)
    )
    return first.first() is not None


async def set_provider_event_result(session: AsyncSession, provider: str, event_id: str,
                                    result: str) -> None:
    record = await session.get(ProviderEvent, (provider, event_id))
    record.result = result


async def payment_of_session(session: AsyncSession, provider: str,
                             session_key: str) -> Payment | None:
    return (await session.execute(select(Payment).where(
        Payment.provider == provider, Payment.provider_session_id == session_key))).scalar_one_or_none()


async def latest_payment_id(session: AsyncSession, order_id: uuid.UUID) -> uuid.UUID:
    return (await session.execute(
        select(Payment.id).where(Payment.order_id == order_id)
        .order_by(Payment.created_at.desc(), Payment.id.desc()).limit(1))).scalar_one()


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


# A list row shows the order's own columns only: loading its lines, history or invoices is a bug.
LIST_ROW = raiseload(Order.lines), raiseload(Order.history), raiseload(Order.invoices)


async def list_own(session: AsyncSession, customer_id: uuid.UUID, limit: int, cursor: str | None,
                   render) -> schemas.Page:
    query = select(Order).options(*LIST_ROW).where(Order.customer_id == customer_id)
    return await page(session, query, limit, cursor, render)


async def list_for_staff(session: AsyncSession, status: str | None, customer_id: uuid.UUID | None,
                         number: str | None, limit: int, cursor: str | None, render) -> schemas.Page:
    query = select(Order).options(*LIST_ROW)
    if status:
        query = query.where(Order.status == status)
    if customer_id:
        query = query.where(Order.customer_id == customer_id)
    if number:
        query = query.where(Order.number == number.strip().upper())
    return await page(session, query, limit, cursor, render)


async def page(session: AsyncSession, query, limit: int, cursor: str | None, render):
    """Newest first, keyset-paged on (placed_at, id)."""
    rows, next_cursor = await keyset_page(session, query, Order.placed_at, Order.id,
                                          limit=limit, cursor=cursor)
    return schemas.Page(items=[render(o) for o in rows], next_cursor=next_cursor)


async def add_invoice(session: AsyncSession, data: InvoiceIssued) -> None:
    """Once per invoice; an invoice of an order this service never had is left aside."""
    if await session.get(Order, data.order_id) is None:
        return
    await session.execute(insert(OrderInvoice).values(
        invoice_id=data.invoice_id, order_id=data.order_id, number=data.number, kind=data.kind,
        issued_at=data.issued_at, status="issued").on_conflict_do_nothing())


async def record_delivery(session: AsyncSession, data: DocumentDelivered) -> None:
    """The history says what staff delivered, at the status the order had (no transition)."""
    status = await session.scalar(select(Order.status).where(Order.id == data.order_id))
    if status is None:
        return
    note = f"Documento consegnato: {data.name}" + (f" — {data.note}" if data.note else "")
    await session.execute(insert(StatusChange).values(
        order_id=data.order_id, from_status=status, status=status, at=data.at, actor="staff",
        note=note))


async def set_invoice_status(session: AsyncSession, data: InvoiceSdiOutcome) -> None:
    """What SDI answered, on the order's invoice; a delivered invoice stays delivered whatever
    late receipt of an earlier sending arrives."""
    await session.execute(update(OrderInvoice).where(
        OrderInvoice.invoice_id == data.invoice_id, OrderInvoice.status != "delivered",
    ).values(status=data.status))


# --- the back office's figures (SQL aggregates on indexed columns; Rome's calendar days) ---

_PLACED = text("""
    SELECT (placed_at AT TIME ZONE 'Europe/Rome')::date AS day, count(*) AS n
    FROM orders WHERE placed_at >= :since GROUP BY 1""")
# What came in on the day it was paid, less what was refunded of it.
_PAID = text("""
    SELECT (paid_at AT TIME ZONE 'Europe/Rome')::date AS day,
           sum(gross_cents - coalesce(refund_cents, 0)) AS gross,
           sum(net_cents) FILTER (WHERE status <> 'refunded') AS net
    FROM orders WHERE paid_at IS NOT NULL AND paid_at >= :since GROUP BY 1""")
_QUEUES = text("""
    SELECT count(*) FILTER (WHERE status = 'awaiting_payment'
                              AND payment_method = 'bank_transfer') AS transfers_to_confirm,
           count(*) FILTER (WHERE status = 'paid') AS paid_to_start,
           count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
           count(*) FILTER (WHERE status = 'withdrawal_requested') AS withdrawals
    FROM orders
    WHERE status IN ('awaiting_payment', 'paid', 'in_progress', 'withdrawal_requested')""")


async def report_rows(session: AsyncSession, since: datetime):
    """Orders placed per day, what came in per day, and the counts of the staff's queues."""
    placed = {r.day: r.n for r in await session.execute(_PLACED, {"since": since})}
    paid = {r.day: (int(r.gross or 0), int(r.net or 0))
            for r in await session.execute(_PAID, {"since": since})}
    queues = (await session.execute(_QUEUES)).one()._asdict()
    return placed, paid, queues
