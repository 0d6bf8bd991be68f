"""The quotes service's tables (its own database only)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sportello.db import new_metadata
from sportello.replicas import ContactColumns, ServiceColumns
from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    metadata = new_metadata()


class Quote(Base):
    """A quote request and its current state; the id is the one the cart chose at submission."""

    __tablename__ = "quotes"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    number: Mapped[str] = mapped_column(Text, unique=True)
    status: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    # Contact and message are the customer's personal data: NULL once their account is deleted.
    customer_email: Mapped[str | None] = mapped_column(Text)
    customer_first_name: Mapped[str | None] = mapped_column(Text)
    customer_last_name: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    budget_cents: Mapped[int | None] = mapped_column(BigInteger)
    wanted_by: Mapped[date | None] = mapped_column(Date)
    # "customer" (from the quote cart) or "staff" (started by staff for a customer).
    origin: Mapped[str] = mapped_column(Text, default="customer", server_default="customer")
    # When each reminder went out (each is sent once).
    expiry_reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pricing_reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The current revision (0 until staff first issue prices) and what it says.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    valid_until: Mapped[date | None] = mapped_column(Date)
    staff_note: Mapped[str | None] = mapped_column(Text)
    net_cents: Mapped[int | None] = mapped_column(BigInteger)
    vat_cents: Mapped[int | None] = mapped_column(BigInteger)
    gross_cents: Mapped[int | None] = mapped_column(BigInteger)
    order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    order_number: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    redacted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # lazy="raise": every query says what it loads (no hidden I/O under asyncio).
    lines: Mapped[list[QuoteLine]] = relationship(
        order_by="QuoteLine.position", lazy="raise", cascade="all, delete-orphan")
    history: Mapped[list[QuoteStatusChange]] = relationship(
        order_by="QuoteStatusChange.id", lazy="raise", cascade="all, delete-orphan")
    revisions: Mapped[list[QuoteRevision]] = relationship(
        order_by="QuoteRevision.revision", lazy="raise", cascade="all, delete-orphan")
    messages: Mapped[list[QuoteMessage]] = relationship(
        order_by="QuoteMessage.created_at", lazy="raise", cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_quotes_customer_created", "customer_id", "created_at", "id"),
        Index("ix_quotes_status_created", "status", "created_at", "id"),
        Index("ix_quotes_created", "created_at", "id"),
        # The expiry job's scan: only quoted quotes, by date.
        Index("ix_quotes_quoted_valid_until", "valid_until",
              postgresql_where="status = 'quoted'"),
        # The pricing reminder's scan: requests still waiting, oldest first.
        Index("ix_quotes_requested_created", "created_at",
              postgresql_where="status = 'requested' AND pricing_reminded_at IS NULL"),
    )


class QuoteLine(Base):
    """A requested line: the service snapshot and answers as the customer gave them."""

    __tablename__ = "quote_lines"

    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"),
                                                primary_key=True)
    line_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    service_slug: Mapped[str] = mapped_column(Text)
    service_name: Mapped[str] = mapped_column(Text)
    service_version: Mapped[int] = mapped_column(Integer)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    # A key of sportello.contracts.tax.EXEMPTIONS (accredited training: art10_n20), or None.
    vat_exemption: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB)
    answer_labels: Mapped[list[dict[str, str]]] = mapped_column(JSONB)


class QuoteRevision(Base):
    """One issue of prices by staff; a re-issue adds a revision, older ones stay as they were."""

    __tablename__ = "quote_revisions"

    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"),
                                                primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The priced lines as `QuotedLine` dumps: exactly what quote.issued carried.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    net_cents: Mapped[int] = mapped_column(BigInteger)
    vat_cents: Mapped[int] = mapped_column(BigInteger)
    gross_cents: Mapped[int] = mapped_column(BigInteger)
    # The tax of the revision as the customer read it, like an order's: stamp duty (in
    # gross_cents), VAT summary by rate and Natura, the notes.
    stamp_duty_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    vat_groups: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    tax_notes: Mapped[list[str] | None] = mapped_column(JSONB)
    # The billing data staff taxed the revision for (a `Billing` dump), None: an Italian consumer.
    billing: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    valid_until: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class QuoteStatusChange(Base):
    """The status history: every transition with time, actor and note."""

    __tablename__ = "quote_status_history"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"),
                                                index=True)
    from_status: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    note: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int | None] = mapped_column(Integer)


class QuoteMessage(Base):
    """One message of a quote's conversation, from the customer or from staff."""

    __tablename__ = "quote_messages"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    body: Mapped[str] = mapped_column(Text)
    document_ids: Mapped[list[str]] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_quote_messages_quote_created", "quote_id", "created_at"),)


class CatalogService(ServiceColumns, Base):
    """Replica of published services, for the lines of quotes staff start (sportello.replicas)."""

    __tablename__ = "catalog_services"


class Contact(ContactColumns, Base):
    """Replica of customers' contacts, for quotes staff start for a customer."""

    __tablename__ = "contacts"
