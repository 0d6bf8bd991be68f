"""The documents service's tables (its own database only): a file's metadata, and the orders
and quotes it knows from their events (whose they are, what the customer reads as their number)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sportello.db import new_metadata
from sqlalchemy import BigInteger, DateTime, Index, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class Document(Base):
    """One uploaded file. The bytes live in the object store at `blobs/<sha256>`: two uploads of
    the same bytes share one blob, which goes when no row names it (jobs.collect_orphans)."""

    __tablename__ = "documents"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    # "customer" (a customer's upload, with a form or a message) or "deliverable" (staff's, on
    # an order or a quote): the `kind` of API.md.
    kind: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(Text, index=True)
    # The uploader as the receipt names it ("customer:<id>", "visitor:<hash>", "staff:<id>").
    owner: Mapped[str] = mapped_column(Text)
    # The customer it belongs to once attached (or uploaded by them); None for a visitor's draft.
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    quote_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    attached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_documents_order", "order_id", "created_at"),
        Index("ix_documents_quote", "quote_id", "created_at"),
        Index("ix_documents_customer", "customer_id"),
        # The drafts' purge: unattached rows by age.
        Index("ix_documents_drafts", "created_at",
              postgresql_where="order_id IS NULL AND quote_id IS NULL"),
    )


class Parent(Base):
    """An order or a quote this service saw placed or requested: whose it is and its number,
    so that staff can deliver to it and its customer can read its files."""

    __tablename__ = "parents"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)            # "order" | "quote"
    number: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    # The customer's contact as the event gave it (the delivery email's addressee).
    customer: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
