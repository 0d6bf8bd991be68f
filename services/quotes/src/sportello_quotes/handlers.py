"""One function per consumed event: event in → actions/domain → session (the consumer commits)."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sportello import replicas
from sportello.contracts.envelope import Envelope
from sportello.contracts.events import AccountDeleted, OrderPaid, QuoteCartSubmitted
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_quotes import actions, repository
from sportello_quotes.domain import Status
from sportello_quotes.models import CatalogService, Contact

log = structlog.get_logger()


async def on_quote_cart_submitted(session: AsyncSession, event: Envelope) -> None:
    data: QuoteCartSubmitted = event.payload()
    await actions.record_request(session, data, datetime.now(UTC))


async def on_order_paid(session: AsyncSession, event: Envelope) -> None:
    """Quotes whose lines were bought become `ordered` (once: a repeat finds them ordered)."""
    data: OrderPaid = event.payload()
    quote_ids = set(data.quote_ids) | {line.quote_id for line in data.lines if line.quote_id}
    now = datetime.now(UTC)
    # Sorted, so two orders touching the same quotes lock them in the same order.
    for quote_id in sorted(quote_ids):
        quote = await repository.get(session, quote_id, for_update=True)
        if quote is None or quote.customer_id != data.customer.account_id:
            log.warning("order_paid_unknown_quote", quote_id=str(quote_id),
                        order_id=str(data.order_id))
            continue
        if quote.status == Status.ORDERED:
            continue
        if quote.status != Status.ACCEPTED:
            # Retrying cannot change this; keep the order flowing and leave a trace.
            log.warning("order_paid_quote_not_accepted", quote_id=str(quote_id),
                        status=quote.status, order_id=str(data.order_id))
            continue
        actions.mark_ordered(quote, data.order_id, data.number, now)


async def on_account_deleted(session: AsyncSession, event: Envelope) -> None:
    data: AccountDeleted = event.payload()
    now = datetime.now(UTC)
    quotes = await repository.of_customer(session, data.account_id, for_update=True)
    for quote in quotes:
        if quote.redacted_at is None:
            actions.redact(quote, now)
    await repository.forget_contact(session, data.account_id)
    log.info("customer_quotes_redacted", account_id=str(data.account_id), quotes=len(quotes))


# Which function takes each consumed event type.
HANDLERS = {
    "quote_cart.submitted": on_quote_cart_submitted,
    "order.paid": on_order_paid,
    "account.deleted": on_account_deleted,
    # The contacts and services a staff-started quote needs.
    **replicas.handlers(Contact, CatalogService),
}
