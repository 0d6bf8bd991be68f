"""outbox and inbox, with the outbox's parking of refused publishes

Revision ID: 0001
Revises:
"""

from alembic import op
from sportello.messaging.schema import (
    add_outbox_parking,
    create_messaging_tables,
    drop_messaging_tables,
    drop_outbox_parking,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    add_outbox_parking(op)


def downgrade() -> None:
    drop_outbox_parking(op)
    drop_messaging_tables(op)
