"""Replicas a service keeps of other services' facts, fed only by their events: the customers'
contacts (accounts) and the published services (catalog). Each service declares its own tables
with these column mixins, and applies events with these functions (newer wins, late ones lose).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from sportello.contracts.events import (
    AccountRegistered,
    AccountUpdated,
    Contact,
    ServiceSnapshot,
)


class ContactColumns:
    """A customer's contact, from account.registered / account.updated."""

    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    first_name: Mapped[str] = mapped_column(String(200), nullable=False)
    last_name: Mapped[str] = mapped_column(String(200), nullable=False)
    # occurred_at of the event applied: an older update arriving late is ignored.
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ServiceColumns:
    """A published service, from catalog.service.* (newer version wins).

    A retirement of a service never seen leaves a tombstone (no snapshot) so that an older
    `published` arriving late cannot bring it back.
    """

    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    active: Mapped[bool] = mapped_column(nullable=False)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


async def replicate_contact(session: AsyncSession, table: type[ContactColumns],
                            data: AccountRegistered | AccountUpdated, as_of: datetime) -> None:
    stmt = insert(table).values(account_id=data.account_id, email=data.email,
                                first_name=data.first_name, last_name=data.last_name, as_of=as_of)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[table.account_id],
        set_={"email": stmt.excluded.email, "first_name": stmt.excluded.first_name,
              "last_name": stmt.excluded.last_name, "as_of": stmt.excluded.as_of},
        where=table.as_of < stmt.excluded.as_of,
    ))


async def contact(session: AsyncSession, table: type[ContactColumns],
                  account_id: uuid.UUID) -> Contact | None:
    row = await session.get(table, account_id)
    if row is None:
        return None
    return Contact(account_id=row.account_id, email=row.email, first_name=row.first_name,
                   last_name=row.last_name)


async def replicate_service(session: AsyncSession, table: type[ServiceColumns],
                            s: ServiceSnapshot) -> None:
    stmt = insert(table).values(slug=s.slug, version=s.version, active=s.active,
                                snapshot=s.model_dump(mode="json"))
    # Only a newer version replaces what we hold (events may arrive out of order).
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[table.slug],
        set_={"version": stmt.excluded.version, "active": stmt.excluded.active,
              "snapshot": stmt.excluded.snapshot},
        where=table.version < stmt.excluded.version,
    ))


async def retire_service(session: AsyncSession, table: type[ServiceColumns], slug: str,
                         version: int) -> None:
    stmt = insert(table).values(slug=slug, version=version, active=False, snapshot=None)
    # A retirement wins a tie with a publication of the same version; the snapshot is kept so
    # a refusal can still name the service.
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[table.slug],
        set_={"version": stmt.excluded.version, "active": False},
        where=table.version <= stmt.excluded.version,
    ))


async def service(session: AsyncSession, table: type[ServiceColumns],
                  slug: str) -> ServiceSnapshot | None:
    """The active published service, or None (unknown, retired, or only a tombstone)."""
    row = await session.get(table, slug)
    if row is None or not row.active or row.snapshot is None:
        return None
    return ServiceSnapshot.model_validate(row.snapshot)


def handlers(contacts: type[ContactColumns], services: type[ServiceColumns]) -> dict:
    """The event handlers that keep a service's two replicas (add them to its handlers)."""
    import structlog

    from sportello.contracts.envelope import Envelope
    from sportello.contracts.events import ServicePublished, ServiceRetired

    log = structlog.get_logger()

    async def on_account_changed(session: AsyncSession, event: Envelope) -> None:
        await replicate_contact(session, contacts, event.payload(), event.occurred_at)

    async def on_service_published(session: AsyncSession, event: Envelope) -> None:
        data: ServicePublished = event.payload()
        await replicate_service(session, services, data.service)
        log.info("catalog_service_replicated", slug=data.service.slug, version=data.service.version)

    async def on_service_retired(session: AsyncSession, event: Envelope) -> None:
        data: ServiceRetired = event.payload()
        await retire_service(session, services, data.slug, data.version)
        log.info("catalog_service_retired", slug=data.slug, version=data.version)

    return {"account.registered": on_account_changed, "account.updated": on_account_changed,
            "catalog.service.published": on_service_published,
            "catalog.service.retired": on_service_retired}
