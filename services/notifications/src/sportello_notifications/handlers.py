"""One function per consumed event: event in → the emails it means → recorded pending.

Nothing is sent here: the rows commit with the consumer's inbox row, and the sender delivers
them after commit (sender.py). A redelivered event never reaches a handler twice (inbox), and
the unique dedup key makes a second recording a no-op anyway.
"""

from __future__ import annotations

import structlog
from sportello.contracts.envelope import Envelope
from sportello.contracts.events import AccountDeleted
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_notifications import drafts
from sportello_notifications.repository import record, redact_account, settings_of

log = structlog.get_logger()


async def _emails_of(session: AsyncSession, event: Envelope, make) -> None:
    planned = make(event.payload(), settings_of(session))
    created = await record(session, event, planned)
    log.info("notifications_recorded", event_type=event.type, event_id=str(event.id),
             templates=[d.template for d in planned], created=created)


async def on_account_registered(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.account_registered)


async def on_password_reset_requested(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.password_reset_requested)


async def on_account_deleted(session: AsyncSession, event: Envelope) -> None:
    data: AccountDeleted = event.payload()
    redacted = await redact_account(session, data.account_id)
    log.info("account_redacted", account_id=str(data.account_id), notifications=redacted)


async def on_order_placed(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.order_placed)


async def on_order_paid(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.order_paid)


async def on_order_payment_failed(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.order_payment_failed)


async def on_order_status_changed(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.order_status_changed)


async def on_order_cancelled(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.order_cancelled)


async def on_quote_requested(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.quote_requested)


async def on_quote_issued(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.quote_issued)


async def on_quote_rejected(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.quote_rejected)


async def on_quote_expired(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.quote_expired)


async def on_quote_message_posted(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.quote_message_posted)


async def on_quote_changes_requested(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.quote_changes_requested)


async def on_quote_expiring(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.quote_expiring)


async def on_quote_pricing_overdue(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.quote_pricing_overdue)


async def on_invoice_issued(session: AsyncSession, event: Envelope) -> None:
    await _emails_of(session, event, drafts.invoice_issued)


HANDLERS = {
    "account.registered": on_account_registered,
    "account.password_reset_requested": on_password_reset_requested,
    "account.deleted": on_account_deleted,
    "order.placed": on_order_placed,
    "order.paid": on_order_paid,
    "order.payment_failed": on_order_payment_failed,
    "order.status_changed": on_order_status_changed,
    "order.cancelled": on_order_cancelled,
    "quote.requested": on_quote_requested,
    "quote.issued": on_quote_issued,
    "quote.rejected": on_quote_rejected,
    "quote.expired": on_quote_expired,
    "quote.message_posted": on_quote_message_posted,
    "quote.changes_requested": on_quote_changes_requested,
    "quote.expiring": on_quote_expiring,
    "quote.pricing_overdue": on_quote_pricing_overdue,
    "invoice.issued": on_invoice_issued,
}
