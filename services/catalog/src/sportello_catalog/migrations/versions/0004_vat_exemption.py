"""a service may carry a VAT exemption (accredited training: art. 10 n. 20 DPR 633/72)

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
    op.add_column("services", sa.Column("vat_exemption", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("services", "vat_exemption")
