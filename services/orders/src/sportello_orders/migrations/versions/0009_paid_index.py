"""the back office's revenue per day reads paid orders by when they were paid

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_paid", "orders", ["paid_at"],
                    postgresql_where=sa.text("paid_at IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_orders_paid", table_name="orders")
