"""a revision keeps the billing data staff taxed it for

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: revisions issued before, and those issued without billing data, were taxed for an
    # Italian consumer.
    op.add_column("quote_revisions", sa.Column("billing", JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("quote_revisions", "billing")
