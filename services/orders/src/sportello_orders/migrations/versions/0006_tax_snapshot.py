"""orders keep the tax of their checkout: line treatments, stamp duty, VAT summary, notes, VIES

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("stamp_duty_cents", sa.BigInteger(), nullable=False,
                                      server_default="0"))
    op.add_column("orders", sa.Column("vat_groups", JSONB(), nullable=True))
    op.add_column("orders", sa.Column("tax_notes", JSONB(), nullable=True))
    op.add_column("orders", sa.Column("vat_number_check", sa.Text(), nullable=True))
    op.add_column("order_lines", sa.Column("vat_exemption", sa.Text(), nullable=True))
    op.add_column("order_lines", sa.Column("treatment", JSONB(), nullable=True))


def downgrade() -> None:
    for column in ("treatment", "vat_exemption"):
        op.drop_column("order_lines", column)
    for column in ("vat_number_check", "tax_notes", "vat_groups", "stamp_duty_cents"):
        op.drop_column("orders", column)
