"""The invoicing service's tables (its own database only)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sportello.db import new_metadata
from sqlalchemy import BigInteger, Date, DateTime, Index, Integer, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class Invoice(Base):
    """An invoice (TD01) or credit note (TD04) as issued: kept ten years, never redacted
    (art. 2220 c.c.; art. 39 DPR 633/72), so account.deleted leaves it as it is."""

    __tablename__ = "invoices"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    number: Mapped[str] = mapped_column(Text, unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    order_number: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    payment_method: Mapped[str] = mapped_column(Text)
    # The billing snapshot and the lines exactly as invoiced.
    billing: Mapped[dict[str, Any]] = mapped_column(JSONB)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    net_cents: Mapped[int] = mapped_column(BigInteger)
    vat_cents: Mapped[int] = mapped_column(BigInteger)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    stamp_duty_cents: Mapped[int] = mapped_column(BigInteger)
    # issued → sent → delivered | rejected | not_delivered (the SDI channel's states).
    status: Mapped[str] = mapped_column(Text)
    xml: Mapped[str] = mapped_column(Text)
    related_invoice_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # The SDI exchange: the id of the last file sent, how many were sent, the last receipt's
    # errors (an NS) and when the state last changed.
    sdi_id: Mapped[str | None] = mapped_column(Text, index=True)
    sdi_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sdi_errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The VIES check of an EU buyer's VAT number at checkout ("not_verified": VIES unreachable).
    vat_number_check: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # One invoice and at most one credit note per order.
        UniqueConstraint("order_id", "kind", name="uq_invoices_order_kind"),
        Index("ix_invoices_customer", "customer_id", "issued_at"),
        Index("ix_invoices_status_issued", "status", "issued_at", "id"),
    )
