"""order numbers move to the shared number_counters table (counter 'orders')

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sportello.numbering import create_number_counters_table, drop_number_counters_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_number_counters_table(op)
    # Locked first, so no checkout can take a number between the copy and the drop.
    op.execute("LOCK TABLE order_numbers IN EXCLUSIVE MODE")
    op.execute("INSERT INTO number_counters (counter, year, last) "
               "SELECT 'orders', year, last FROM order_numbers")
    op.drop_table("order_numbers")


def downgrade() -> None:
    op.create_table(
        "order_numbers",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_order_numbers")),
    )
    op.execute("LOCK TABLE number_counters IN EXCLUSIVE MODE")
    op.execute("INSERT INTO order_numbers (year, last) "
               "SELECT year, last FROM number_counters WHERE counter = 'orders'")
    drop_number_counters_table(op)
