"""One function per consumed event: accounts reads its own session events back to feed the shared
deny-list, so a revocation committed is on the list even if Redis failed right after the commit."""

from __future__ import annotations

import structlog
from sportello.contracts.envelope import Envelope
from sportello.contracts.events import AccountDeleted, AccountSessionsRevoked
from sqlalchemy.ext.asyncio import AsyncSession

log = structlog.get_logger()


async def on_sessions_revoked(session: AsyncSession, event: Envelope) -> None:
    data: AccountSessionsRevoked = event.payload()
    await session.info["revocations"].revoke(sessions=data.session_ids)
    log.info("sessions_denied", account_id=str(data.account_id), sessions=len(data.session_ids))


async def on_account_deleted(session: AsyncSession, event: Envelope) -> None:
    data: AccountDeleted = event.payload()
    await session.info["revocations"].revoke(subjects=[data.account_id])
    log.info("subject_denied", account_id=str(data.account_id))


HANDLERS = {
    "account.sessions_revoked": on_sessions_revoked,
    "account.deleted": on_account_deleted,
}
