"""the staff list filtered by status walks its own index, newest first, whatever the table's size

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_status_placed", "orders", ["status", "placed_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_orders_status_placed", table_name="orders")
