"""notifications: every email, its recipient, status and attempts

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("dedup_key", sa.Text, nullable=False, unique=True),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("recipient_name", sa.Text),
        sa.Column("audience", sa.Text, nullable=False),
        sa.Column("account_id", UUID(as_uuid=True)),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body_text", sa.Text),
        sa.Column("body_html", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("order_id", UUID(as_uuid=True)),
        sa.Column("order_number", sa.Text),
        sa.Column("quote_id", UUID(as_uuid=True)),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        sa.CheckConstraint("audience IN ('customer', 'staff')", name="audience"),
    )
    op.create_index("ix_notifications_account_id", "notifications", ["account_id"])
    op.create_index("ix_notifications_due", "notifications", ["next_attempt_at"],
                    postgresql_where=sa.text("status = 'pending'"))
    op.create_index("ix_notifications_list", "notifications", ["created_at", "id"])
    op.create_index("ix_notifications_recipient", "notifications", ["recipient", "created_at"])


def downgrade() -> None:
    op.drop_table("notifications")
