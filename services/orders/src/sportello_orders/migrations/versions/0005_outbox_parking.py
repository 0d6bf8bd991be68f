"""outbox rows count their refused publishes and are parked after a few

Revision ID: 0005
Revises: 0004
"""

from alembic import op
from sportello.messaging.schema import add_outbox_parking, drop_outbox_parking

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_outbox_parking(op)


def downgrade() -> None:
    drop_outbox_parking(op)
