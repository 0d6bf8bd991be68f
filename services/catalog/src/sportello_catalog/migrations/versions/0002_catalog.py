"""categories, services (with the Italian search document), catalog revision

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEARCH_DOCUMENT = (
    "setweight(to_tsvector('italian', coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('italian', coalesce(short_description, '')), 'B') || "
    "setweight(to_tsvector('italian', coalesce(description, '')), 'C')"
)


def _times():
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("slug", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        *_times(),
    )
    op.create_table(
        "services",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("slug", sa.Text, nullable=False, unique=True),
        sa.Column("category_id", UUID(as_uuid=True), sa.ForeignKey("categories.id"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("short_description", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("pricing_mode", sa.Text, nullable=False),
        sa.Column("base_net_cents", sa.Integer),
        sa.Column("vat_rate_bp", sa.Integer, nullable=False),
        sa.Column("form", JSONB, nullable=False),
        sa.Column("quote_allowed", sa.Boolean, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("search", TSVECTOR, sa.Computed(SEARCH_DOCUMENT, persisted=True)),
        *_times(),
        sa.CheckConstraint("pricing_mode IN ('fixed', 'quote')", name="pricing_mode"),
        sa.CheckConstraint(
            "(pricing_mode = 'fixed' AND base_net_cents >= 0) "
            "OR (pricing_mode = 'quote' AND base_net_cents IS NULL)",
            name="price_matches_mode",
        ),
        sa.CheckConstraint("vat_rate_bp >= 0", name="vat_rate"),
    )
    op.create_index("ix_services_category_id", "services", ["category_id"])
    op.create_index("ix_services_search", "services", ["search"], postgresql_using="gin")
    op.create_table(
        "catalog_revision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO catalog_revision (id, revision) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("catalog_revision")
    op.drop_table("services")
    op.drop_table("categories")
