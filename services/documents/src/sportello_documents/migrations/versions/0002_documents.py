"""documents and the orders and quotes they belong to

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("customer_id", UUID(as_uuid=True)),
        sa.Column("order_id", UUID(as_uuid=True)),
        sa.Column("quote_id", UUID(as_uuid=True)),
        sa.Column("note", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index("ix_documents_sha256", "documents", ["sha256"])
    op.create_index("ix_documents_order", "documents", ["order_id", "created_at"])
    op.create_index("ix_documents_quote", "documents", ["quote_id", "created_at"])
    op.create_index("ix_documents_customer", "documents", ["customer_id"])
    op.create_index("ix_documents_drafts", "documents", ["created_at"],
                    postgresql_where=sa.text("order_id IS NULL AND quote_id IS NULL"))
    op.create_table(
        "parents",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("customer_id", UUID(as_uuid=True), nullable=False),
        sa.Column("customer", JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parents")),
    )
    op.create_index("ix_parents_customer_id", "parents", ["customer_id"])


def downgrade() -> None:
    op.drop_table("parents")
    op.drop_table("documents")
