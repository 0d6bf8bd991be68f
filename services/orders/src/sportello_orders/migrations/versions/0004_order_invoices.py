"""order_invoices: the invoices issued for each order (a replica fed by invoice.issued)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_invoices",
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE",
                                name=op.f("fk_order_invoices_order_id_orders")),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_order_invoices")),
    )
    op.create_index(op.f("ix_order_invoices_order_id"), "order_invoices", ["order_id"])


def downgrade() -> None:
    op.drop_table("order_invoices")
