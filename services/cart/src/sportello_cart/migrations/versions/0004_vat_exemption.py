"""cart lines keep their service's VAT exemption

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
    op.add_column("cart_lines", sa.Column("vat_exemption", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("cart_lines", "vat_exemption")
