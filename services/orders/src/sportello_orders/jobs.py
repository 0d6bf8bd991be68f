"""Scheduled work: cancel orders left unpaid too long (safe with replicas: advisory lock and
SKIP LOCKED rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sportello.jobs import Job
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_orders import domain, lifecycle
from sportello_orders.domain import Actor, PaymentStatus, Status
from sportello_orders.handlers import session_settings
from sportello_orders.models import Order, Payment

BATCH = 200
# A customer on the provider's page right now is not cancelled under their feet.
PAYMENT_GRACE = timedelta(hours=1)


async def cancel_unpaid(session: AsyncSession) -> int:
    settings = session_settings(session)
    now = datetime.now(UTC)
    card_cut = now - timedelta(hours=settings.unpaid_cancel_hours_card)
    transfer_cut = now - timedelta(hours=settings.unpaid_cancel_hours_bank_transfer)
    paying_now = exists().where(Payment.order_id == Order.id,
                                Payment.status == PaymentStatus.PENDING.value,
                                Payment.created_at > now - PAYMENT_GRACE)
    orders = (await session.execute(
        select(Order)
        .where(Order.status.in_([s.value for s in domain.UNPAID]),
               or_(and_(Order.payment_method == "card", Order.placed_at < card_cut),
                   and_(Order.payment_method == "bank_transfer", Order.placed_at < transfer_cut)),
               ~paying_now)
        .order_by(Order.placed_at).limit(BATCH).with_for_update(skip_locked=True)
    )).scalars().all()
    for order in orders:
        note = domain.auto_cancel_note(order.payment_method, settings.unpaid_cancel_hours_card,
                                       settings.unpaid_cancel_hours_bank_transfer)
        await lifecycle.move(session, order, Status.CANCELLED, Actor.SYSTEM, note=note,
                             reason="unpaid_timeout")
    return len(orders)


auto_cancel = Job(name="orders.auto_cancel", every_seconds=300, run=cancel_unpaid)
