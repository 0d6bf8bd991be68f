"""outbox rows count their refused publishes and are parked after a few

Revision ID: 0003
Revises: 0002
"""

from alembic import op
from sportello.messaging.schema import add_outbox_parking, drop_outbox_parking

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_outbox_parking(op)


def downgrade() -> None:
    drop_outbox_parking(op)
