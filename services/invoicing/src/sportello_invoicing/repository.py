"""Reading and writing invoices: by order, by id, the staff list by status (keyset paging)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sportello.errors import NotFound
from sportello.numbering import next_yearly_number
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_invoicing.models import Invoice

NOT_FOUND = "Fattura non trovata."
PREFIX = "FT"


async def next_number(session: AsyncSession, at: datetime) -> str:
    """`FT-2026-000042`: gap-free per Rome year (the counter row stays locked until commit), one
    sequence for invoices and credit notes as the law's progressive numbering asks."""
    return await next_yearly_number(session, "invoices", PREFIX, at)


async def of_order(session: AsyncSession, order_id: uuid.UUID, kind: str) -> Invoice | None:
    return await session.scalar(select(Invoice).where(Invoice.order_id == order_id,
                                                      Invoice.kind == kind))


async def get(session: AsyncSession, invoice_id: uuid.UUID, lock: bool = False) -> Invoice:
    invoice = await session.get(Invoice, invoice_id, with_for_update=lock)
    if invoice is None:
        raise NotFound(NOT_FOUND)
    return invoice


async def get_own(session: AsyncSession, invoice_id: uuid.UUID, customer_id: uuid.UUID) -> Invoice:
    """The customer's own invoice; another customer's answers 404 like a missing one."""
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None or invoice.customer_id != customer_id:
        raise NotFound(NOT_FOUND)
    return invoice


async def list_for_staff(session: AsyncSession, status: str | None, limit: int,
                         after: tuple[datetime, uuid.UUID] | None) -> list[Invoice]:
    """Newest first; `after` is the (issued_at, id) of the last row of the previous page."""
    stmt = select(Invoice)
    if status is not None:
        stmt = stmt.where(Invoice.status == status)
    if after is not None:
        at, last = after
        stmt = stmt.where(or_(Invoice.issued_at < at, and_(Invoice.issued_at == at, Invoice.id < last)))
    stmt = stmt.order_by(Invoice.issued_at.desc(), Invoice.id.desc()).limit(limit + 1)
    return list((await session.scalars(stmt)).all())


async def by_sdi_id(session: AsyncSession, sdi_id: str) -> Invoice | None:
    """The invoice whose last file SDI knows by this id, locked (receipts may race)."""
    return await session.scalar(select(Invoice).where(Invoice.sdi_id == sdi_id).with_for_update())
