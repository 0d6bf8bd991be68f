"""Scheduled work: quoted quotes past their validity become `expired`.

Safe with several replicas: `sportello.jobs` takes an advisory lock per round, and the scan
locks rows with SKIP LOCKED and re-checks `status = 'quoted'`, so a quote expires once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sportello.jobs import Job
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_quotes import actions, domain, repository

BATCH = 500


async def expire_quotes(session: AsyncSession) -> int:
    now = datetime.now(UTC)
    due = await repository.due_for_expiry(session, domain.rome_today(now), BATCH)
    for quote in due:
        await actions.expire(session, quote, now)
    return len(due)


EXPIRE_QUOTES = Job(name="quotes.expire", every_seconds=60, run=expire_quotes)
