"""outbox, inbox and the test's effects table

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from sportello.messaging.schema import add_outbox_parking, create_messaging_tables
from sqlalchemy.dialects.postgresql import UUID

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    add_outbox_parking(op)
    op.create_table(
        "effects",
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("slug", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("effects")
