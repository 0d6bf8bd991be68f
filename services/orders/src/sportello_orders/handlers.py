"""One function per consumed event type: event in → an action (the consumer commits)."""

from __future__ import annotations

import structlog
from sportello.contracts.envelope import Envelope
from sportello.contracts.events import (
    AccountDeleted,
    CartCheckedOut,
    DocumentDelivered,
    InvoiceIssued,
    InvoiceSdiOutcome,
)
from sportello.db import session_settings
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_orders import actions, repository

log = structlog.get_logger()


async def on_cart_checked_out(session: AsyncSession, event: Envelope) -> None:
    data: CartCheckedOut = event.payload()
    await actions.create_from_checkout(session, data, session_settings(session))


async def on_account_deleted(session: AsyncSession, event: Envelope) -> None:
    """Erase what invoicing law does not require. Unpaid orders are cancelled and lose their
    billing data too; paid ones keep the billing snapshot and amounts (10-year retention)."""
    data: AccountDeleted = event.payload()
    orders = await actions.redact_customer(session, data.account_id)
    log.info("orders_redacted", account_id=str(data.account_id), orders=orders)


async def on_invoice_sdi_outcome(session: AsyncSession, event: Envelope) -> None:
    """The order's invoice shows whether SDI delivered or rejected it."""
    data: InvoiceSdiOutcome = event.payload()
    await repository.set_invoice_status(session, data)


async def on_invoice_issued(session: AsyncSession, event: Envelope) -> None:
    """The order shows its invoices ("Fattura n. … — Scarica PDF")."""
    data: InvoiceIssued = event.payload()
    await repository.add_invoice(session, data)


# Which function takes each consumed event type.
async def on_document_delivered(session: AsyncSession, event: Envelope) -> None:
    """A deliverable on an order is a line of its history (a quote's is not an order's)."""
    data: DocumentDelivered = event.payload()
    if data.order_id is not None:
        await repository.record_delivery(session, data)


HANDLERS = {
    "cart.checked_out": on_cart_checked_out,
    "account.deleted": on_account_deleted,
    "invoice.issued": on_invoice_issued,
    "document.delivered": on_document_delivered,
    **dict.fromkeys(("invoice.delivered", "invoice.rejected", "invoice.not_delivered"),
                    on_invoice_sdi_outcome),
}
