"""The notifications service's tables (its own database only): every email, sent or not, and why."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sportello.db import new_metadata
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class Notification(Base):
    """One email to one recipient. Written `pending` with the event's inbox row; the sender
    delivers it after commit and records the outcome here."""

    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event_type: Mapped[str] = mapped_column(sa.Text)
    template: Mapped[str] = mapped_column(sa.Text)
    # What makes an email unique (normally event:template:recipient); the Message-ID comes from it.
    dedup_key: Mapped[str] = mapped_column(sa.Text, unique=True)
    message_id: Mapped[str] = mapped_column(sa.Text)
    recipient: Mapped[str] = mapped_column(sa.Text)
    recipient_name: Mapped[str | None] = mapped_column(sa.Text)
    audience: Mapped[str] = mapped_column(sa.Text)  # "customer" or "staff"
    # The customer the email is about (also on staff alerts), so account.deleted can redact it.
    account_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    subject: Mapped[str] = mapped_column(sa.Text)
    body_text: Mapped[str | None] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                      server_default=sa.func.now())
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    order_number: Mapped[str | None] = mapped_column(sa.Text)
    quote_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        sa.CheckConstraint("audience IN ('customer', 'staff')", name="audience"),
        # The sender's claim query: due pending rows in order.
        sa.Index("ix_notifications_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")),
        # The staff list, newest first, optionally by recipient.
        sa.Index("ix_notifications_list", "created_at", "id"),
        sa.Index("ix_notifications_recipient", "recipient", "created_at"),
    )
