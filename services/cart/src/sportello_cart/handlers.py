"""One function per consumed event: the catalog and contact replicas, accepted quotes, erasure.

No commits here: the consumer commits the effect together with the inbox row, then acks.
"""

from __future__ import annotations

import uuid

import structlog
from sportello.contracts.envelope import Envelope
from sportello.contracts.events import (
    AccountDeleted,
    AccountRegistered,
    AccountUpdated,
    QuoteAccepted,
    ServicePublished,
    ServiceRetired,
)
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_cart import store
from sportello_cart.domain import Kind
from sportello_cart.models import Cart, CartLine, CatalogService, Contact, IdempotentRequest
from sportello_cart.store import Owner

log = structlog.get_logger()


async def on_service_published(session: AsyncSession, event: Envelope) -> None:
    data: ServicePublished = event.payload()
    s = data.service
    stmt = insert(CatalogService).values(
        slug=s.slug, version=s.version, active=s.active, snapshot=s.model_dump(mode="json"))
    # Only a newer version replaces what we hold (events may arrive out of order).
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[CatalogService.slug],
        set_={"version": stmt.excluded.version, "active": stmt.excluded.active,
              "snapshot": stmt.excluded.snapshot},
        where=CatalogService.version < stmt.excluded.version,
    ))
    log.info("catalog_service_replicated", slug=s.slug, version=s.version)


async def on_service_retired(session: AsyncSession, event: Envelope) -> None:
    data: ServiceRetired = event.payload()
    stmt = insert(CatalogService).values(slug=data.slug, version=data.version, active=False,
                                         snapshot=None)
    # A retirement wins a tie with a publication of the same version; the snapshot is kept so
    # carts can still name the service in their refusal.
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[CatalogService.slug],
        set_={"version": stmt.excluded.version, "active": False},
        where=CatalogService.version <= stmt.excluded.version,
    ))
    log.info("catalog_service_retired", slug=data.slug, version=data.version)


async def _upsert_contact(session: AsyncSession, event: Envelope,
                          data: AccountRegistered | AccountUpdated) -> None:
    stmt = insert(Contact).values(account_id=data.account_id, email=data.email,
                                  first_name=data.first_name, last_name=data.last_name,
                                  as_of=event.occurred_at)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[Contact.account_id],
        set_={"email": stmt.excluded.email, "first_name": stmt.excluded.first_name,
              "last_name": stmt.excluded.last_name, "as_of": stmt.excluded.as_of},
        where=Contact.as_of < stmt.excluded.as_of,
    ))


async def on_account_registered(session: AsyncSession, event: Envelope) -> None:
    await _upsert_contact(session, event, event.payload())


async def on_account_updated(session: AsyncSession, event: Envelope) -> None:
    await _upsert_contact(session, event, event.payload())


async def on_account_deleted(session: AsyncSession, event: Envelope) -> None:
    data: AccountDeleted = event.payload()
    # Lines go with their carts (ON DELETE CASCADE).
    await session.execute(delete(Cart).where(Cart.customer_id == data.account_id))
    await session.execute(delete(Contact).where(Contact.account_id == data.account_id))
    await session.execute(delete(IdempotentRequest)
                          .where(IdempotentRequest.customer_id == data.account_id))
    log.info("customer_carts_deleted", account_id=str(data.account_id))


async def on_quote_accepted(session: AsyncSession, event: Envelope) -> None:
    """The quoted lines enter the purchase cart at the quoted price, locked, each once."""
    data: QuoteAccepted = event.payload()
    cart = await store.get_or_create_cart(session, Owner(customer_id=data.customer.account_id),
                                          Kind.PURCHASE)
    for q in data.lines:
        await session.execute(insert(CartLine).values(
            id=uuid.uuid4(), cart_id=cart.id, service_slug=q.service.slug,
            service_name=q.service.name, service_version=q.service.version,
            answers=q.answers, answer_labels=[label.model_dump() for label in q.answer_labels],
            quantity=q.quantity, unit_net_cents=q.unit_net_cents, vat_rate_bp=q.vat_rate_bp,
            quote_id=data.quote_id, quote_line_id=q.line_id,
        ).on_conflict_do_nothing(constraint="uq_cart_lines_quote_line"))
    log.info("quote_lines_added", quote_id=str(data.quote_id), lines=len(data.lines))


HANDLERS = {
    "catalog.service.published": on_service_published,
    "catalog.service.retired": on_service_retired,
    "account.registered": on_account_registered,
    "account.updated": on_account_updated,
    "account.deleted": on_account_deleted,
    "quote.accepted": on_quote_accepted,
}
