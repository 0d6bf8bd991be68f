"""Gap-free yearly human numbers (`SP-2026-000042`) from a counter row taken in the caller's transaction.

Every service that numbers things has the `number_counters` table (created by its migrations with
`create_number_counters_table(op)`), one row per counter and year:

    number = await next_yearly_number(session, "orders", "SP", placed_at)
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

# Numbers restart with the calendar year of the business, which is in Italy.
ROME = ZoneInfo("Europe/Rome")

# The upsert locks the (counter, year) row until the caller's transaction ends: concurrent
# callers take turns, so numbers are never duplicated, and a rollback gives the number back.
_NEXT = sa.text(
    "INSERT INTO number_counters (counter, year, last) VALUES (:counter, :year, 1) "
    "ON CONFLICT (counter, year) DO UPDATE SET last = number_counters.last + 1 RETURNING last"
)


def number_year(at: datetime) -> int:
    """The year a number belongs to: the calendar year in Europe/Rome, not UTC."""
    return at.astimezone(ROME).year


def format_number(prefix: str, year: int, sequence: int) -> str:
    """`SP-2026-000042`: prefix, year, sequence within the year on six digits."""
    return f"{prefix}-{year}-{sequence:06d}"


async def next_yearly_number(session: AsyncSession, counter: str, prefix: str, at: datetime) -> str:
    """The next number of `counter` in the Rome year of `at`. Holds the counter row locked until
    the caller commits or rolls back; call it as late in the transaction as the caller can."""
    year = number_year(at)
    sequence = (await session.execute(_NEXT, {"counter": counter, "year": year})).scalar_one()
    return format_number(prefix, year, sequence)


def create_number_counters_table(op) -> None:
    """Call from a service's Alembic migration: `create_number_counters_table(op)`."""
    op.create_table(
        "number_counters",
        sa.Column("counter", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("counter", "year", name="pk_number_counters"),
    )


def drop_number_counters_table(op) -> None:
    op.drop_table("number_counters")
