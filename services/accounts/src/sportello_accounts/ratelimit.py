"""Rate limits kept in PostgreSQL, so that every replica of accounts counts the same attempts.

Fixed windows: one row per (key, window). `hit` adds one atomically (an UPSERT) and refuses
when the count goes past the limit; `give_back` takes one off again, so a login that turns out
right does not count as a failure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sportello.errors import TooManyRequests
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_accounts.domain import rate_bucket, rate_key

_HIT = text("""
INSERT INTO rate_counters (key, bucket, count, expires_at)
VALUES (:key, :bucket, 1, now() + make_interval(secs => :window))
ON CONFLICT (key, bucket) DO UPDATE SET count = rate_counters.count + 1
RETURNING count
""")
_GIVE_BACK = text(
    "UPDATE rate_counters SET count = greatest(count - 1, 0) WHERE key = :key AND bucket = :bucket"
)


@dataclass(frozen=True)
class Limit:
    kind: str        # e.g. "login-email"
    subject: str     # the email or the address
    max_count: int


async def hit(session: AsyncSession, window_seconds: int, *limits: Limit) -> None:
    """Count one attempt against each limit; TooManyRequests if any is over. Commits itself:
    the attempt must stay counted whatever happens next in the request."""
    bucket, retry_after = rate_bucket(time.time(), window_seconds)
    over = False
    for limit in limits:
        count = await session.scalar(
            _HIT, {"key": rate_key(limit.kind, limit.subject), "bucket": bucket,
                   "window": float(window_seconds)},
        )
        over = over or count > limit.max_count
    await session.commit()
    if over:
        raise TooManyRequests(retry_after)


async def within(session: AsyncSession, window_seconds: int, limit: Limit) -> bool:
    """Count one against `limit` and say whether it is still within (commits, as `hit`)."""
    try:
        await hit(session, window_seconds, limit)
    except TooManyRequests:
        return False
    return True


async def give_back(session: AsyncSession, window_seconds: int, *limits: Limit) -> None:
    """Uncount one attempt (the caller commits)."""
    bucket, _ = rate_bucket(time.time(), window_seconds)
    for limit in limits:
        await session.execute(_GIVE_BACK, {"key": rate_key(limit.kind, limit.subject),
                                           "bucket": bucket})
