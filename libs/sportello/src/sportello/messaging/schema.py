"""The outbox and inbox tables every service database has; created by its first migration."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID


def create_messaging_tables(op) -> None:
    """Call from a service's first Alembic migration: `create_messaging_tables(op)`."""
    op.create_table(
        "outbox",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_outbox_pending", "outbox", ["seq"], postgresql_where=sa.text("published_at IS NULL"))
    op.create_table(
        "inbox",
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def add_outbox_parking(op) -> None:
    """Call from a service's migration: attempts, last error and parking time of each outbox row."""
    op.add_column("outbox", sa.Column("attempts", sa.Integer, server_default="0", nullable=False))
    op.add_column("outbox", sa.Column("last_error", sa.Text))
    op.add_column("outbox", sa.Column("parked_at", sa.DateTime(timezone=True)))
    op.drop_index("ix_outbox_pending", "outbox")
    op.create_index("ix_outbox_pending", "outbox", ["seq"],
                    postgresql_where=sa.text("published_at IS NULL AND parked_at IS NULL"))


def drop_outbox_parking(op) -> None:
    op.drop_index("ix_outbox_pending", "outbox")
    op.create_index("ix_outbox_pending", "outbox", ["seq"], postgresql_where=sa.text("published_at IS NULL"))
    for column in ("parked_at", "last_error", "attempts"):
        op.drop_column("outbox", column)


def drop_messaging_tables(op) -> None:
    op.drop_table("inbox")
    op.drop_table("outbox")
