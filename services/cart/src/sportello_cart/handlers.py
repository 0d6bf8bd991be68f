"""One function per consumed event: the catalog and contact replicas, accepted quotes, erasure.

No commits here: the consumer commits the effect together with the inbox row, then acks.
"""

from __future__ import annotations

import structlog
from sportello.contracts.envelope import Envelope
from sportello.contracts.events import (
    AccountDeleted,
    QuoteAccepted,
    ServicePublished,
    ServiceRetired,
)
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_cart import repository

log = structlog.get_logger()


async def on_service_published(session: AsyncSession, event: Envelope) -> None:
    data: ServicePublished = event.payload()
    s = data.service
    await repository.replicate_service(session, s)
    log.info("catalog_service_replicated", slug=s.slug, version=s.version)


async def on_service_retired(session: AsyncSession, event: Envelope) -> None:
    data: ServiceRetired = event.payload()
    await repository.retire_service(session, data.slug, data.version)
    log.info("catalog_service_retired", slug=data.slug, version=data.version)


async def on_account_registered(session: AsyncSession, event: Envelope) -> None:
    await repository.replicate_contact(session, event.payload(), event.occurred_at)


async def on_account_updated(session: AsyncSession, event: Envelope) -> None:
    await repository.replicate_contact(session, event.payload(), event.occurred_at)


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
    "catalog.service.published": on_service_published,
    "catalog.service.retired": on_service_retired,
    "account.registered": on_account_registered,
    "account.updated": on_account_updated,
    "account.deleted": on_account_deleted,
    "quote.accepted": on_quote_accepted,
}
