"""session lifetimes, confirmed email addresses, known login sources

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    # When the login of the family happened: the absolute session limit counts from it.
    op.add_column("refresh_tokens", sa.Column("family_started_at", TZ, nullable=False,
                                              server_default=sa.func.now()))
    # Existing addresses were never confirmed: their marketing consent waits for a confirmation.
    op.add_column("accounts", sa.Column("email_confirmed_at", TZ))
    op.create_table(
        "email_confirmations",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("account_id", UUID(as_uuid=True),
                  sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("token_hash", sa.Text, nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ),
    )
    op.create_index("ix_email_confirmations_account", "email_confirmations", ["account_id"])
    op.create_table(
        "login_sources",
        sa.Column("account_id", UUID(as_uuid=True),
                  sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("source_hash", sa.Text, primary_key=True),
        sa.Column("last_login_at", TZ, nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("login_sources")
    op.drop_table("email_confirmations")
    op.drop_column("accounts", "email_confirmed_at")
    op.drop_column("refresh_tokens", "family_started_at")
