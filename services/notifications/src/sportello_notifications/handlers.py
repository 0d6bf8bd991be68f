"""One function per consumed event: event in → the emails it means → recorded pending.

Nothing is sent here: the rows commit with the consumer's inbox row, and the sender delivers
them after commit (sender.py). A redelivered event never reaches a handler twice (inbox), and
the unique dedup key makes a second recording a no-op anyway.
"""

from __future__ import annotations

import structlog
from sportello.contracts.envelope import Envelope
from sportello.contracts.events import AccountDeleted
from sportello.db import session_settings
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_notifications import drafts
from sportello_notifications.repository import record, redact_account

log = structlog.get_logger()


async def record_emails(session: AsyncSession, event: Envelope) -> None:
    """Any event of drafts.BY_EVENT: the emails it means, recorded pending."""
    planned = drafts.BY_EVENT[event.type](event.payload(), session_settings(session))
    created = await record(session, event, planned)
    log.info("notifications_recorded", event_type=event.type, event_id=str(event.id),
             templates=[d.template for d in planned], created=created)


async def on_account_deleted(session: AsyncSession, event: Envelope) -> None:
    data: AccountDeleted = event.payload()
    redacted = await redact_account(session, data.account_id)
    log.info("account_redacted", account_id=str(data.account_id), notifications=redacted)


# Every event that means emails goes through the table of drafts; account.deleted redacts.
HANDLERS = {
    **dict.fromkeys(drafts.BY_EVENT, record_emails),
    "account.deleted": on_account_deleted,
}
