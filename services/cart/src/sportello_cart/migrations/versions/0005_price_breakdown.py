"""cart lines keep what makes their price (price_breakdown), priced with the line

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Null for quote-cart lines and for lines priced before this column existed.
    op.add_column("cart_lines", sa.Column("price_breakdown", JSONB, nullable=True))


def downgrade() -> None:
    op.drop_column("cart_lines", "price_breakdown")
