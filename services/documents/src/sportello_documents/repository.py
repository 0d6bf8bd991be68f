"""Reading and writing the documents service's rows."""

from __future__ import annotations

import uuid
from datetime import datetime

from sportello.errors import NotFound
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_documents.models import Document, Parent

PARENT_LABELS = {"order": "Ordine non trovato.", "quote": "Preventivo non trovato."}


async def get(session: AsyncSession, document_id: uuid.UUID) -> Document:
    doc = await session.get(Document, document_id)
    if doc is None:
        raise NotFound("Documento non trovato.")
    return doc


async def drafts_of(session: AsyncSession, owner: str) -> int:
    return await session.scalar(select(func.count()).select_from(Document).where(
        Document.owner == owner, Document.order_id.is_(None), Document.quote_id.is_(None))) or 0


async def parent(session: AsyncSession, kind: str, parent_id: uuid.UUID,
                 customer_id: uuid.UUID | None = None) -> Parent:
    """The order or quote, if this service knows it (and it is that customer's, when given)."""
    row = await session.get(Parent, parent_id)
    if row is None or row.kind != kind or (customer_id is not None
                                           and row.customer_id != customer_id):
        raise NotFound(PARENT_LABELS[kind])
    return row


async def remember_parent(session: AsyncSession, kind: str, parent_id: uuid.UUID, number: str,
                          customer_id: uuid.UUID, customer: dict) -> None:
    await session.execute(insert(Parent).values(
        id=parent_id, kind=kind, number=number, customer_id=customer_id, customer=customer,
    ).on_conflict_do_nothing(index_elements=["id"]))


async def attach(session: AsyncSession, kind: str, parent_id: uuid.UUID,
                 customer_id: uuid.UUID, ids: list[uuid.UUID], at: datetime) -> int:
    """The files a placed order or a requested quote names become its own. Only a draft, or a
    file already that customer's (a quote's file travelling on to its order), moves."""
    if not ids:
        return 0
    column = Document.order_id if kind == "order" else Document.quote_id
    result = await session.execute(
        update(Document).where(Document.id.in_(ids), column.is_(None),
                               or_(Document.customer_id.is_(None),
                                   Document.customer_id == customer_id))
        .values({column: parent_id, Document.customer_id: customer_id,
                 Document.attached_at: at}))
    return result.rowcount or 0


async def attach_message_files(session: AsyncSession, quote_id: uuid.UUID, uploader: str,
                               customer_id: uuid.UUID, ids: list[uuid.UUID], at: datetime) -> int:
    """A message's files join its quote: only drafts its author uploaded (an id of anyone else's
    file, or of a file already elsewhere, is ignored)."""
    if not ids:
        return 0
    result = await session.execute(
        update(Document).where(Document.id.in_(ids), Document.owner == uploader,
                               Document.order_id.is_(None), Document.quote_id.is_(None))
        .values(quote_id=quote_id, customer_id=customer_id, attached_at=at))
    return result.rowcount or 0


async def of_parent(session: AsyncSession, kind: str, parent_id: uuid.UUID) -> list[Document]:
    column = Document.order_id if kind == "order" else Document.quote_id
    return list(await session.scalars(
        select(Document).where(column == parent_id).order_by(Document.created_at, Document.id)))


async def purge_drafts(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(delete(Document).where(
        Document.kind == "customer", Document.order_id.is_(None), Document.quote_id.is_(None),
        Document.created_at < before))
    return result.rowcount or 0


async def erase_customer(session: AsyncSession, customer_id: uuid.UUID) -> int:
    """A deleted account's files, but those kept with an order (README "Retention")."""
    owner = f"customer:{customer_id}"
    result = await session.execute(delete(Document).where(
        Document.order_id.is_(None),
        or_(Document.customer_id == customer_id, Document.owner == owner)))
    return result.rowcount or 0


async def referenced(session: AsyncSession, hashes: list[str]) -> set[str]:
    if not hashes:
        return set()
    return set(await session.scalars(
        select(Document.sha256).where(Document.sha256.in_(hashes)).distinct()))
