"""The catalog service's tables (its own database only): categories, services, the catalog revision."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sportello.db import new_metadata
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# The Italian text search document of a service: name weighs most, then the short text; each
# text stemmed and as written, without accents (configurations of migration 0005).
SEARCH_DOCUMENT = " || ".join(
    f"setweight(to_tsvector('{config}', coalesce({column}, '')), '{weight}')"
    for column, weight in (("name", "A"), ("short_description", "B"), ("description", "C"))
    for config in ("sportello_italian", "sportello_simple")
)


class Base(DeclarativeBase):
    metadata = new_metadata()


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(sa.Text, unique=True)
    name: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now()
    )


class Service(Base):
    __tablename__ = "services"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(sa.Text, unique=True)
    category_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(sa.Text)
    short_description: Mapped[str] = mapped_column(sa.Text, default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    pricing_mode: Mapped[str] = mapped_column(sa.Text)
    base_net_cents: Mapped[int | None] = mapped_column(sa.Integer)
    # The "da … + IVA" of a fixed service, kept at every write so a search needs no form parsing.
    price_from_cents: Mapped[int | None] = mapped_column(sa.Integer)
    vat_rate_bp: Mapped[int] = mapped_column(sa.Integer)
    # A key of sportello.contracts.tax.EXEMPTIONS (accredited training: art10_n20).
    vat_exemption: Mapped[str | None] = mapped_column(sa.Text)
    form: Mapped[dict[str, Any]] = mapped_column(JSONB)
    quote_allowed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    search: Mapped[Any] = mapped_column(TSVECTOR, sa.Computed(SEARCH_DOCUMENT, persisted=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now()
    )

    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.CheckConstraint("pricing_mode IN ('fixed', 'quote')", name="pricing_mode"),
        sa.CheckConstraint(
            "(pricing_mode = 'fixed' AND base_net_cents >= 0) "
            "OR (pricing_mode = 'quote' AND base_net_cents IS NULL)",
            name="price_matches_mode",
        ),
        sa.CheckConstraint("vat_rate_bp >= 0", name="vat_rate"),
        sa.Index("ix_services_search", "search", postgresql_using="gin"),
    )


class CatalogRevision(Base):
    """One row: bumped by every catalog write, so each replica's read cache knows when to drop."""

    __tablename__ = "catalog_revision"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(sa.BigInteger, default=0)
