"""Yearly numbers on the real PostgreSQL: unique and consecutive under concurrency, no gap after a
rollback, the year turning at midnight in Rome."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sportello.db import drop_database, ensure_database, make_engine, make_sessionmaker
from sportello.numbering import (
    create_number_counters_table,
    format_number,
    next_yearly_number,
    number_year,
)
from sportello.testing import wait_for
from sqlalchemy import text

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def sessionmaker(settings):
    """A database of its own with the table a service's migration creates, through the same helper."""
    url = settings.database_url("numbering")
    await ensure_database(url)
    engine = make_engine(url, pool_size=6)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: create_number_counters_table(Operations(MigrationContext.configure(c))))
    yield make_sessionmaker(engine)
    await engine.dispose()
    await drop_database(url)


@pytest.fixture
def counter():
    """A counter of its own per test, so tests can share the database."""
    return f"test-{uuid.uuid4().hex[:8]}"


async def take(sessionmaker, counter: str, at: datetime = NOW, prefix: str = "SP") -> str:
    async with sessionmaker() as session, session.begin():
        return await next_yearly_number(session, counter, prefix, at)


def test_numbers_are_prefix_year_and_six_digits_of_the_rome_year():
    assert format_number("SP", 2026, 42) == "SP-2026-000042"
    assert format_number("PR", 2027, 123456) == "PR-2027-123456"
    # 31 December 23:30 UTC is already 1 January in Rome.
    assert number_year(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == 2027


async def test_concurrent_transactions_get_distinct_consecutive_numbers(sessionmaker, counter):
    taken = await asyncio.gather(*(take(sessionmaker, counter) for _ in range(10)))
    assert sorted(taken) == [f"SP-2026-{n:06d}" for n in range(1, 11)]


async def test_a_rolled_back_number_goes_to_the_transaction_waiting_for_it(sessionmaker, counter):
    async with sessionmaker() as first:
        await first.begin()
        assert await next_yearly_number(first, counter, "SP", NOW) == "SP-2026-000001"

        # The second transaction waits on the counter row until the first one ends.
        second = asyncio.create_task(take(sessionmaker, counter))
        async with sessionmaker() as observer:
            await wait_for(lambda: _waiting_on_a_lock(observer), message="the second to wait")
        assert not second.done()

        await first.rollback()
    assert await second == "SP-2026-000001"
    assert await take(sessionmaker, counter) == "SP-2026-000002"


async def _waiting_on_a_lock(session) -> bool:
    waiting = await session.scalar(text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ))
    await session.rollback()  # a fresh snapshot of the activity on the next poll
    return waiting > 0


async def test_the_year_switches_at_midnight_in_rome(sessionmaker, counter):
    last_second_2026 = datetime(2026, 12, 31, 22, 59, 59, tzinfo=UTC)  # 23:59:59 in Rome
    first_second_2027 = datetime(2026, 12, 31, 23, 0, 0, tzinfo=UTC)  # 00:00:00 in Rome
    assert await take(sessionmaker, counter, last_second_2026) == "SP-2026-000001"
    assert await take(sessionmaker, counter, first_second_2027) == "SP-2027-000001"
    assert await take(sessionmaker, counter, last_second_2026) == "SP-2026-000002"
    assert await take(sessionmaker, counter, first_second_2027) == "SP-2027-000002"


async def test_each_counter_counts_on_its_own(sessionmaker, counter):
    assert await take(sessionmaker, counter, prefix="SP") == "SP-2026-000001"
    assert await take(sessionmaker, f"{counter}-other", prefix="PR") == "PR-2026-000001"
    assert await take(sessionmaker, counter, prefix="SP") == "SP-2026-000002"
