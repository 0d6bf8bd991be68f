"""Reading and writing notification rows: record drafts (once), redact, list for staff."""

from __future__ import annotations

import uuid

from sportello.contracts.envelope import Envelope
from sportello.db import session_settings
from sportello.paging import keyset_page
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_notifications.domain import REDACTED, Draft, Status, message_id
from sportello_notifications.emails import render
from sportello_notifications.models import Notification

# The sender LISTENs here; PostgreSQL delivers the NOTIFY only when the handler's transaction
# commits, so the sender wakes exactly when the rows are visible.
NOTIFY_CHANNEL = "sportello_notifications"
_NOTIFY = text(f"SELECT pg_notify('{NOTIFY_CHANNEL}', '')")


async def record(session: AsyncSession, event: Envelope, drafts: list[Draft]) -> int:
    """Render and store each draft as a pending email, at most once per dedup key."""
    settings = session_settings(session)
    common = {"business": settings.business_name, "shop_url": settings.storefront_url}
    created = 0
    for draft in drafts:
        rendered = render(draft.template, {**common, **draft.context})
        key = draft.key(event.id)
        stmt = insert(Notification).values(
            id=uuid.uuid4(), event_id=event.id, event_type=event.type, template=draft.template,
            dedup_key=key, message_id=message_id(key, settings.mail_from),
            recipient=draft.recipient.strip().lower(), recipient_name=draft.recipient_name,
            audience=draft.audience, account_id=draft.account_id, subject=rendered.subject,
            body_text=rendered.text, body_html=rendered.html, status=Status.PENDING, attempts=0,
            order_id=draft.order_id, order_number=draft.order_number, quote_id=draft.quote_id,
        ).on_conflict_do_nothing(index_elements=["dedup_key"]).returning(Notification.id)
        if (await session.execute(stmt)).first() is not None:
            created += 1
    if created:
        await session.execute(_NOTIFY)
    return created


async def redact_account(session: AsyncSession, account_id: uuid.UUID) -> int:
    """account.deleted: no address, name or body of that customer stays; unsent mail is dropped."""
    mine = Notification.account_id == account_id
    await session.execute(
        update(Notification).where(mine, Notification.status == Status.PENDING)
        .values(status=Status.FAILED, last_error="Account eliminato: invio annullato.")
    )
    # Staff alerts keep the staff address but lose the bodies that name the customer.
    result = await session.execute(
        update(Notification).where(mine).values(body_text=None, body_html=None)
    )
    await session.execute(
        update(Notification).where(mine, Notification.audience == "customer")
        .values(recipient=REDACTED, recipient_name=None)
    )
    return result.rowcount or 0


async def resend_failed(session: AsyncSession,
                        notification_id: uuid.UUID) -> tuple[Notification | None, bool]:
    """A failed email back to pending with a fresh set of attempts (staff fixed what made it
    fail), waking the sender at commit: (the row or None, whether it was put back)."""
    row = await session.get(Notification, notification_id, with_for_update=True)
    if row is None or row.status != Status.FAILED:
        return row, False
    row.status, row.attempts, row.next_attempt_at = Status.PENDING, 0, func.now()
    await session.execute(_NOTIFY)
    return row, True


async def list_notifications(
    session: AsyncSession, *, recipient: str | None, status: str | None,
    event_id: uuid.UUID | None, limit: int, cursor: str | None,
) -> tuple[list[Notification], str | None]:
    """Newest first, keyset-paged on (created_at, id)."""
    q = select(Notification)
    if recipient:
        q = q.where(Notification.recipient == recipient.strip().lower())
    if status:
        q = q.where(Notification.status == status)
    if event_id:
        q = q.where(Notification.event_id == event_id)
    return await keyset_page(session, q, Notification.created_at, Notification.id,
                             limit=limit, cursor=cursor)
