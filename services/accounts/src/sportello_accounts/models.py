"""The accounts service's tables (its own database only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sportello.db import new_metadata
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


class Account(Base):
    """A customer or staff user. Erasure keeps a tombstone (id, role, dates), nothing personal."""

    __tablename__ = "accounts"
    __table_args__ = (sa.CheckConstraint("role IN ('customer', 'staff')", name="role"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    # Stored normalised (lower-case), so a plain unique index makes it unique case-insensitively.
    email: Mapped[str] = mapped_column(sa.Text, unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.Text)
    role: Mapped[str] = mapped_column(sa.Text, server_default="customer")
    first_name: Mapped[str] = mapped_column(sa.Text)
    last_name: Mapped[str] = mapped_column(sa.Text)
    phone: Mapped[str | None] = mapped_column(sa.Text)
    privacy_policy_version: Mapped[str | None] = mapped_column(sa.Text)
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # As the customer asked; it counts only once the address is confirmed (`marketing_counts`).
    marketing_consent: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("false"))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class RefreshToken(Base):
    """One refresh token (by hash). Tokens issued by rotation share the family of the login."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (sa.Index("ix_refresh_tokens_account", "account_id"),
                      sa.Index("ix_refresh_tokens_family", "family_id"))

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    token_hash: Mapped[str] = mapped_column(sa.Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    family_started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                        server_default=sa.func.now())
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    spent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class _OneTimeLink:
    """A secret sent by email, kept as its hash, usable once before it expires."""

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(sa.Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class PasswordReset(_OneTimeLink, Base):
    __tablename__ = "password_resets"
    __table_args__ = (sa.Index("ix_password_resets_account", "account_id"),)


class EmailConfirmation(_OneTimeLink, Base):
    """A link sent to an address to prove its owner reads it (registration or a new email)."""

    __tablename__ = "email_confirmations"
    __table_args__ = (sa.Index("ix_email_confirmations_account", "account_id"),)

    email: Mapped[str] = mapped_column(sa.Text)


class LoginSource(Base):
    """An address (by hash) the account logged in from: it may still try while its email is
    under attack from elsewhere (see `api.login`)."""

    __tablename__ = "login_sources"

    account_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    source_hash: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    last_login_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                    server_default=sa.func.now())


class BillingProfile(Base):
    """DATI DI FATTURAZIONE: the normalised `sportello.contracts.Billing`, as JSON."""

    __tablename__ = "billing_profiles"

    account_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class ConsentEvent(Base):
    """The history of consents: every grant or withdrawal, with the notice version and time."""

    __tablename__ = "consent_events"
    __table_args__ = (sa.Index("ix_consent_events_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    consent: Mapped[str] = mapped_column(sa.Text)
    granted: Mapped[bool] = mapped_column(sa.Boolean)
    policy_version: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class RateCounter(Base):
    """Fixed-window counters of rate limits, in PostgreSQL so every replica shares them."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    bucket: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
