"""Scheduled clean-up: old rate counters, ended sessions, used or expired links, old login sources."""

from __future__ import annotations

from sportello.jobs import Job
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Ended sessions are kept a while so that a replayed old token is still recognised as reuse.
_PURGES = (
    "DELETE FROM rate_counters WHERE expires_at < now()",
    "DELETE FROM refresh_tokens WHERE expires_at < now() - interval '7 days'",
    "DELETE FROM password_resets WHERE expires_at < now() - interval '1 day'",
    "DELETE FROM email_confirmations WHERE expires_at < now() - interval '1 day'",
    # Past any `known_source_days` in use: an address unseen this long is a stranger again.
    "DELETE FROM login_sources WHERE last_login_at < now() - interval '365 days'",
)


async def purge(session: AsyncSession) -> int:
    removed = 0
    for statement in _PURGES:
        result = await session.execute(text(statement))
        removed += result.rowcount or 0
    return removed


PURGE = Job(name="accounts.purge", every_seconds=600, run=purge)
