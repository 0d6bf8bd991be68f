"""One function per consumed event: a paid order gets its invoice, a refunded one its credit note.

No handler for account.deleted, on purpose: invoices are kept ten years with the billing data
they were issued to (art. 2220 c.c.; art. 39 DPR 633/72).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sportello.contracts.envelope import Envelope
from sportello.contracts.events import InvoiceIssued, OrderPaid, OrderStatusChanged
from sportello.db import session_settings
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_invoicing import actions
from sportello_invoicing.channel import channel_for
from sportello_invoicing.settings import InvoicingSettings, invoicing_settings


def _settings(session: AsyncSession) -> InvoicingSettings:
    return invoicing_settings(session_settings(session))


async def on_order_paid(session: AsyncSession, event: Envelope) -> None:
    data: OrderPaid = event.payload()
    await actions.invoice_paid_order(session, data, _settings(session),
                                     datetime.now(UTC))


async def on_invoice_issued(session: AsyncSession, event: Envelope) -> None:
    """A just issued invoice goes to SDI (an unreachable SDI: the consumer retries)."""
    data: InvoiceIssued = event.payload()
    settings = _settings(session)
    await actions.send_issued(session, data.invoice_id, channel_for(settings), settings,
                              datetime.now(UTC))


async def on_order_status_changed(session: AsyncSession, event: Envelope) -> None:
    data: OrderStatusChanged = event.payload()
    if data.status == "refunded":
        await actions.credit_refunded_order(session, data.order_id, data.customer,
                                            _settings(session),
                                            datetime.now(UTC), data.refund_cents)


# Which function takes each consumed event type.
HANDLERS = {
    "order.paid": on_order_paid,
    "order.status_changed": on_order_status_changed,
    "invoice.issued": on_invoice_issued,
}
