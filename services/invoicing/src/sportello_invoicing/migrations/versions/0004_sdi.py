"""invoices keep their exchange with SDI (file id, attempts, errors) and the VIES check

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("invoices", sa.Column("sdi_id", sa.Text(), nullable=True))
    op.add_column("invoices", sa.Column("sdi_attempts", sa.Integer(), nullable=False,
                                        server_default="0"))
    op.add_column("invoices", sa.Column("sdi_errors", JSONB(), nullable=True))
    op.add_column("invoices", sa.Column("status_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("invoices", sa.Column("vat_number_check", sa.Text(), nullable=True))
    op.create_index("ix_invoices_sdi_id", "invoices", ["sdi_id"])


def downgrade() -> None:
    op.drop_index("ix_invoices_sdi_id", "invoices")
    for column in ("vat_number_check", "status_at", "sdi_errors", "sdi_attempts", "sdi_id"):
        op.drop_column("invoices", column)
