"""The orders service's tables (its own database only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sportello.db import new_metadata
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    metadata = new_metadata()


TS = sa.DateTime(timezone=True)


class Order(Base):
    __tablename__ = "orders"

    # Chosen by the cart at checkout, so the customer can poll it before the order exists.
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    number: Mapped[str] = mapped_column(sa.Text, unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    # Contact of the customer; emptied when the account is deleted.
    customer_email: Mapped[str] = mapped_column(sa.Text)
    customer_first_name: Mapped[str] = mapped_column(sa.Text)
    customer_last_name: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text, index=True)
    payment_method: Mapped[str] = mapped_column(sa.Text)
    currency: Mapped[str] = mapped_column(sa.Text, default="EUR")
    net_cents: Mapped[int] = mapped_column(sa.BigInteger)
    vat_cents: Mapped[int] = mapped_column(sa.BigInteger)
    gross_cents: Mapped[int] = mapped_column(sa.BigInteger)
    # The tax of the checkout as the customer saw it: stamp duty (in gross_cents), VAT summary by
    # rate and Natura, the notes (reverse charge, exemption), the VIES check of an EU VAT number.
    stamp_duty_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    vat_groups: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    tax_notes: Mapped[list[str] | None] = mapped_column(JSONB)
    vat_number_check: Mapped[str | None] = mapped_column(sa.Text)
    # The Dati di Fatturazione as given at checkout (a snapshot, never the live profile).
    # None once redacted on an order that was never paid.
    billing: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    placed_at: Mapped[datetime] = mapped_column(TS)
    paid_at: Mapped[datetime | None] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    redacted_at: Mapped[datetime | None] = mapped_column(TS)
    # The conditions of sale accepted at checkout (None on orders from before they existed).
    terms_version: Mapped[str | None] = mapped_column(sa.Text)
    terms_accepted_at: Mapped[datetime | None] = mapped_column(TS)
    # A privato asked for the service to start within the withdrawal period.
    early_start_consent_at: Mapped[datetime | None] = mapped_column(TS)
    withdrawal_requested_at: Mapped[datetime | None] = mapped_column(TS)
    withdrawal_reason: Mapped[str | None] = mapped_column(sa.Text)
    refund_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    refund_note: Mapped[str | None] = mapped_column(sa.Text)

    lines: Mapped[list[OrderLine]] = relationship(
        order_by="OrderLine.position", lazy="selectin", cascade="all, delete-orphan"
    )
    history: Mapped[list[StatusChange]] = relationship(
        order_by="StatusChange.seq", lazy="selectin", cascade="all, delete-orphan"
    )
    invoices: Mapped[list[OrderInvoice]] = relationship(
        order_by="OrderInvoice.issued_at", lazy="selectin", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.Index("ix_orders_customer_placed", "customer_id", "placed_at"),
                      sa.Index("ix_orders_placed", "placed_at", "id"),
                      sa.Index("ix_orders_status_placed", "status", "placed_at", "id"),
                      sa.Index("ix_orders_paid", "paid_at",
                               postgresql_where=sa.text("paid_at IS NOT NULL")))


class OrderLine(Base):
    __tablename__ = "order_lines"

    order_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    line_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    service_slug: Mapped[str] = mapped_column(sa.Text)
    service_name: Mapped[str] = mapped_column(sa.Text)
    service_version: Mapped[int] = mapped_column(sa.Integer)
    # The customer's words (form answers); emptied when the account is deleted.
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB)
    answer_labels: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    quantity: Mapped[int] = mapped_column(sa.Integer)
    unit_net_cents: Mapped[int] = mapped_column(sa.BigInteger)
    vat_rate_bp: Mapped[int] = mapped_column(sa.Integer)
    vat_exemption: Mapped[str | None] = mapped_column(sa.Text)
    # The line's treatment for this customer (sportello.contracts.tax.Treatment), from the cart.
    treatment: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    net_cents: Mapped[int] = mapped_column(sa.BigInteger)
    vat_cents: Mapped[int] = mapped_column(sa.BigInteger)
    gross_cents: Mapped[int] = mapped_column(sa.BigInteger)
    quote_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class StatusChange(Base):
    """The status history with outcomes (I MIEI ORDINI): every transition, its actor and note."""

    __tablename__ = "order_status_history"

    seq: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(TS)
    actor: Mapped[str] = mapped_column(sa.Text)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    note: Mapped[str | None] = mapped_column(sa.Text)


class Payment(Base):
    """One attempt to pay an order by card through the provider's hosted page."""

    __tablename__ = "payments"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(sa.Text)
    provider_session_id: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    redirect_url: Mapped[str | None] = mapped_column(sa.Text)
    failure_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)

    __table_args__ = (sa.UniqueConstraint("provider", "provider_session_id",
                                          name="uq_payments_provider_session"),)


class ProviderEvent(Base):
    """Every webhook event id a provider sent us: a replay or duplicate finds its row here."""

    __tablename__ = "provider_events"

    provider: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    session_id: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    # What we did with it: applied, or why it changed nothing.
    result: Mapped[str] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(TS)


class OrderInvoice(Base):
    """Replica of the invoices issued for an order (invoice.issued), to show them with it."""

    __tablename__ = "order_invoices"

    invoice_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"),
                                                index=True)
    number: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.Text)
    issued_at: Mapped[datetime] = mapped_column(TS)
    status: Mapped[str] = mapped_column(sa.Text)
