"""quote numbers move to the shared number_counters table (counter 'quotes')

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
    # Locked first, so no request can take a number between the copy and the drop.
    op.execute("LOCK TABLE quote_number_counters IN EXCLUSIVE MODE")
    op.execute("INSERT INTO number_counters (counter, year, last) "
               "SELECT 'quotes', year, last_value FROM quote_number_counters")
    op.drop_table("quote_number_counters")


def downgrade() -> None:
    op.create_table(
        "quote_number_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_quote_number_counters")),
    )
    op.execute("LOCK TABLE number_counters IN EXCLUSIVE MODE")
    op.execute("INSERT INTO quote_number_counters (year, last_value) "
               "SELECT year, last FROM number_counters WHERE counter = 'quotes'")
    drop_number_counters_table(op)
