"""The cart service's tables (its own database only): carts, lines, replicas, idempotency."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sportello.db import new_metadata
from sportello.replicas import ContactColumns, ServiceColumns
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class CatalogService(ServiceColumns, Base):
    """Replica of a published service, fed only by catalog.service.* events (sportello.replicas)."""

    __tablename__ = "catalog_services"


class Contact(ContactColumns, Base):
    """Replica of a customer's contact, fed by account.registered / account.updated."""

    __tablename__ = "contacts"


class CartSession(Base):
    """An anonymous visitor: only the hash of the cart token is kept."""

    __tablename__ = "cart_sessions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    touched_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False, index=True
    )


class Cart(Base):
    """One purchase cart and one quote cart per owner (a customer or an anonymous session)."""

    __tablename__ = "carts"
    __table_args__ = (
        UniqueConstraint("customer_id", "kind", name="uq_carts_customer_kind"),
        UniqueConstraint("session_id", "kind", name="uq_carts_session_kind"),
        CheckConstraint("(customer_id IS NULL) <> (session_id IS NULL)", name="one_owner"),
        CheckConstraint("kind IN ('purchase', 'quote')", name="kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("cart_sessions.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class CartLine(Base):
    __tablename__ = "cart_lines"
    __table_args__ = (
        # One quoted line enters a cart once, however often quote.accepted is delivered.
        UniqueConstraint("cart_id", "quote_line_id", name="uq_cart_lines_quote_line"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    # Keeps the order in which lines were added (ids are random).
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), nullable=False)
    cart_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("carts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    service_slug: Mapped[str] = mapped_column(String(200), nullable=False)
    service_name: Mapped[str] = mapped_column(Text, nullable=False)
    service_version: Mapped[int] = mapped_column(Integer, nullable=False)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    answer_labels: Mapped[list[dict[str, str]]] = mapped_column(JSONB, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    # Null on quote-cart lines: they carry no price.
    unit_net_cents: Mapped[int | None] = mapped_column(BigInteger)
    # What makes unit_net_cents (sportello.contracts.breakdown), kept with the price it explains.
    price_breakdown: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    vat_rate_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    # The service's VAT exemption when the line was added or corrected (tax.EXEMPTIONS key).
    vat_exemption: Mapped[str | None] = mapped_column(Text)
    quote_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    quote_line_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


@dataclass
class LineRow:
    """A cart line as the fast routes write and read it: CartLine's columns without the ORM's
    per-attribute bookkeeping (views and contracts read either by attribute)."""

    id: uuid.UUID
    cart_id: uuid.UUID | None
    service_slug: str
    service_name: str
    service_version: int
    answers: dict[str, Any]
    answer_labels: list[dict[str, str]]
    quantity: int
    unit_net_cents: int | None
    price_breakdown: dict[str, Any] | None
    vat_rate_bp: int
    vat_exemption: str | None
    quote_id: uuid.UUID | None = None
    quote_line_id: uuid.UUID | None = None


class IdempotentRequest(Base):
    """The first successful answer of a checkout / quote submission, per customer and key."""

    __tablename__ = "idempotent_requests"

    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    response: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
