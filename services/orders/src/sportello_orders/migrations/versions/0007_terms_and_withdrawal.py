"""orders keep the accepted conditions of sale, the early-start request, withdrawal and refund

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = [
    ("terms_version", sa.Text()),
    ("terms_accepted_at", sa.DateTime(timezone=True)),
    ("early_start_consent_at", sa.DateTime(timezone=True)),
    ("withdrawal_requested_at", sa.DateTime(timezone=True)),
    ("withdrawal_reason", sa.Text()),
    ("refund_cents", sa.BigInteger()),
    ("refund_note", sa.Text()),
]


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("orders", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        op.drop_column("orders", name)
