"""Scheduled work: quoted quotes past their validity become `expired`; the customer is reminded
before a quote expires, staff when a request waits too long for its price.

Safe with several replicas: `sportello.jobs` takes an advisory lock per round, and each scan
locks rows with SKIP LOCKED and re-checks the state it acts on (status, and for reminders the
`*_reminded_at` column set in the same transaction as the event), so each happens once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import holidays
from sportello.db import session_settings
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


async def remind_expiring_quotes(session: AsyncSession) -> int:
    now = datetime.now(UTC)
    today = domain.rome_today(now)
    days = session_settings(session).quote_expiry_reminder_days
    due = await repository.due_for_expiry_reminder(session, today + timedelta(days=days), today,
                                                   BATCH)
    for quote in due:
        await actions.remind_expiring(session, quote, now)
    return len(due)


async def remind_unpriced_requests(session: AsyncSession) -> int:
    """National Italian holidays (the `holidays` package) and weekends are not working days;
    a town's patron saint is not known here."""
    now = datetime.now(UTC)
    today = domain.rome_today(now)
    working_days = session_settings(session).quote_pricing_reminder_working_days
    closed = holidays.country_holidays("IT", years=range(today.year - 1, today.year + 1))
    # Working days are at least calendar days: nothing newer than that can be due yet.
    candidates = await repository.waiting_for_price(session, now - timedelta(days=working_days),
                                                    BATCH)
    reminded = 0
    for quote in candidates:
        if domain.pricing_reminder_due(domain.rome_today(quote.created_at), today, working_days,
                                       closed):
            await actions.remind_pricing(session, quote, now)
            reminded += 1
    return reminded


EXPIRE_QUOTES = Job(name="quotes.expire", every_seconds=60, run=expire_quotes)
REMIND_EXPIRING = Job(name="quotes.remind_expiring", every_seconds=300, run=remind_expiring_quotes)
REMIND_UNPRICED = Job(name="quotes.remind_unpriced", every_seconds=300, run=remind_unpriced_requests)
