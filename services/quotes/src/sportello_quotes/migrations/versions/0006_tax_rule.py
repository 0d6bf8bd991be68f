"""quote lines keep their service's VAT exemption; revisions keep the taxed totals

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
    op.add_column("quote_lines", sa.Column("vat_exemption", sa.Text(), nullable=True))
    # Revisions issued before keep plain VAT: no stamp duty, summary or notes.
    op.add_column("quote_revisions", sa.Column("stamp_duty_cents", sa.BigInteger(), nullable=False,
                                               server_default="0"))
    op.add_column("quote_revisions", sa.Column("vat_groups", JSONB(), nullable=True))
    op.add_column("quote_revisions", sa.Column("tax_notes", JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("quote_revisions", "tax_notes")
    op.drop_column("quote_revisions", "vat_groups")
    op.drop_column("quote_revisions", "stamp_duty_cents")
    op.drop_column("quote_lines", "vat_exemption")
