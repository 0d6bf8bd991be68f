"""One function per consumed event: the catalog and contact replicas, accepted quotes, erasure.

No commits here: the consumer commits the effect together with the inbox row, then acks.
"""

from __future__ import annotations

import structlog
from sportello import replicas
from sportello.contracts.envelope import Envelope
from sportello.contracts.events import AccountDeleted, QuoteAccepted
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_cart import repository
from sportello_cart.models import CatalogService, Contact

log = structlog.get_logger()


async def on_account_deleted(session: AsyncSession, event: Envelope) -> None:
    data: AccountDeleted = event.payload()
    await repository.forget_customer(session, data.account_id)
    log.info("customer_carts_deleted", account_id=str(data.account_id))


async def on_quote_accepted(session: AsyncSession, event: Envelope) -> None:
    """The quoted lines enter the purchase cart at the quoted price, locked, each once."""
    data: QuoteAccepted = event.payload()
    await repository.add_quoted_lines(session, data)
    log.info("quote_lines_added", quote_id=str(data.quote_id), lines=len(data.lines))


HANDLERS = {
    **replicas.handlers(Contact, CatalogService),
    "account.deleted": on_account_deleted,
    "quote.accepted": on_quote_accepted,
}
