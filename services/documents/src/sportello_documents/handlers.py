"""One function per consumed event: files travel with an order or a quote (and a quote's
messages); an erased account's
files go, but those kept with an order (README "Retention")."""

from __future__ import annotations

from datetime import UTC, datetime

from sportello.contracts.envelope import Envelope
from sportello.contracts.events import (
    AccountDeleted,
    OrderPlaced,
    QuoteMessagePosted,
    QuoteRequested,
)
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_documents import actions, repository


async def on_order_placed(session: AsyncSession, event: Envelope) -> None:
    data: OrderPlaced = event.payload()
    await actions.attach(session, "order", data.order_id, data.number, data.customer, data.lines,
                         datetime.now(UTC))


async def on_quote_requested(session: AsyncSession, event: Envelope) -> None:
    data: QuoteRequested = event.payload()
    await actions.attach(session, "quote", data.quote_id, data.number, data.customer, data.lines,
                         datetime.now(UTC))


async def on_quote_message_posted(session: AsyncSession, event: Envelope) -> None:
    data: QuoteMessagePosted = event.payload()
    if data.document_ids:
        await actions.attach_message_files(session, data, datetime.now(UTC))


async def on_account_deleted(session: AsyncSession, event: Envelope) -> None:
    data: AccountDeleted = event.payload()
    # The rows now; their blobs at the next collection round (another row may share one).
    await repository.erase_customer(session, data.account_id)


# Which function takes each consumed event type.
HANDLERS = {
    "order.placed": on_order_placed,
    "quote.requested": on_quote_requested,
    "quote.message_posted": on_quote_message_posted,
    "account.deleted": on_account_deleted,
}
