"""Scheduled work: cancel orders left unpaid too long (safe with replicas: advisory lock and
SKIP LOCKED rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sportello.db import session_settings
from sportello.jobs import Job
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_orders import actions, domain, repository
from sportello_orders.domain import Actor, Status

BATCH = 200
# A customer on the provider's page right now is not cancelled under their feet.
PAYMENT_GRACE = timedelta(hours=1)


async def cancel_unpaid(session: AsyncSession) -> int:
    settings = session_settings(session)
    now = datetime.now(UTC)
    card_cut = now - timedelta(hours=settings.unpaid_cancel_hours_card)
    transfer_cut = now - timedelta(hours=settings.unpaid_cancel_hours_bank_transfer)
    orders = await repository.unpaid_overdue(session, now, card_cut, transfer_cut, PAYMENT_GRACE,
                                             BATCH)
    for order in orders:
        note = domain.auto_cancel_note(order.payment_method, settings.unpaid_cancel_hours_card,
                                       settings.unpaid_cancel_hours_bank_transfer)
        await actions.move(session, order, Status.CANCELLED, Actor.SYSTEM, note=note,
                           reason="unpaid_timeout")
    return len(orders)


auto_cancel = Job(name="orders.auto_cancel", every_seconds=300, run=cancel_unpaid)
