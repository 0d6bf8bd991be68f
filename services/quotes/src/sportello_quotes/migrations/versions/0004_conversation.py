"""the conversation (quote_messages), budget and wished-for date, reminders, staff-started quotes,
and the replicas of contacts and published services

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("quotes", sa.Column("budget_cents", sa.BigInteger(), nullable=True))
    op.add_column("quotes", sa.Column("wanted_by", sa.Date(), nullable=True))
    op.add_column("quotes", sa.Column("origin", sa.Text(), server_default="customer", nullable=False))
    op.add_column("quotes", sa.Column("expiry_reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("quotes", sa.Column("pricing_reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_quotes_requested_created", "quotes", ["created_at"],
                    postgresql_where=sa.text("status = 'requested' AND pricing_reminded_at IS NULL"))
    op.create_table(
        "quote_messages",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("quote_id", sa.UUID(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("document_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["quote_id"], ["quotes.id"], ondelete="CASCADE",
                                name=op.f("fk_quote_messages_quote_id_quotes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_messages")),
    )
    op.create_index("ix_quote_messages_quote_created", "quote_messages", ["quote_id", "created_at"])
    op.create_table(
        "catalog_services",
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_catalog_services")),
    )
    op.create_table(
        "contacts",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_contacts")),
    )


def downgrade() -> None:
    op.drop_table("contacts")
    op.drop_table("catalog_services")
    op.drop_index("ix_quote_messages_quote_created", table_name="quote_messages")
    op.drop_table("quote_messages")
    op.drop_index("ix_quotes_requested_created", table_name="quotes")
    for column in ("pricing_reminded_at", "expiry_reminded_at", "origin", "wanted_by", "budget_cents"):
        op.drop_column("quotes", column)
