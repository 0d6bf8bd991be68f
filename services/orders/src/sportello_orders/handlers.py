"""One function per consumed event type: event in → domain → session (the consumer commits)."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sportello.contracts.envelope import Envelope
from sportello.contracts.events import AccountDeleted, CartCheckedOut
from sportello.settings import Settings, get_settings
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_orders import domain, lifecycle
from sportello_orders.domain import Actor, Status
from sportello_orders.models import Order

log = structlog.get_logger()


def session_settings(session: AsyncSession) -> Settings:
    """The app's settings travel in the sessionmaker's info (set by the app at startup)."""
    return session.info.get("settings") or get_settings()


async def on_cart_checked_out(session: AsyncSession, event: Envelope) -> None:
    data: CartCheckedOut = event.payload()
    await lifecycle.create_from_checkout(session, data, session_settings(session))


async def on_account_deleted(session: AsyncSession, event: Envelope) -> None:
    """Erase what invoicing law does not require. Unpaid orders are cancelled and lose their
    billing data too; paid ones keep the billing snapshot and amounts (10-year retention)."""
    data: AccountDeleted = event.payload()
    orders = (await session.execute(
        select(Order).where(Order.customer_id == data.account_id).with_for_update()
    )).scalars().all()
    now = datetime.now(UTC)
    for order in orders:
        redact(order, now)
        if domain.can_transition(order.status, Status.CANCELLED):
            await lifecycle.move(session, order, Status.CANCELLED, Actor.SYSTEM,
                                 note="Annullato: l'account è stato eliminato.",
                                 reason="account_deleted")
        if not domain.keeps_billing(order.status):
            order.billing = None
    log.info("orders_redacted", account_id=str(data.account_id), orders=len(orders))


def redact(order: Order, now: datetime) -> None:
    order.customer_email = domain.REDACTED
    order.customer_first_name = domain.REDACTED
    order.customer_last_name = domain.REDACTED
    for line in order.lines:
        # The customer's own words; the invoice needs the service, quantity and amounts only.
        line.answers = {}
        line.answer_labels = []
    order.redacted_at = now
    order.updated_at = now
