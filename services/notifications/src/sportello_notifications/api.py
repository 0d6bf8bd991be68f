"""HTTP routes of the notifications service: the staff's view of every email and its fate."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query
from sportello.auth import Staff
from sportello.db import get_session
from sportello.errors import Conflict, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_notifications import repository
from sportello_notifications.domain import Status
from sportello_notifications.schemas import NotificationOut, NotificationPage

router = APIRouter()


@router.get("/api/staff/notifications", response_model=NotificationPage)
async def list_notifications(
    staff: Staff,
    recipient: str | None = Query(default=None, max_length=254),
    status: Literal["pending", "sent", "failed"] | None = None,
    event_id: uuid.UUID | None = None,
    limit: int = Query(default=20, ge=1, le=100),
    cursor: str | None = Query(default=None, max_length=200),
    session: AsyncSession = Depends(get_session),
) -> NotificationPage:
    rows, next_cursor = await repository.list_notifications(
        session, recipient=recipient, status=status, event_id=event_id, limit=limit,
        cursor=cursor)
    return NotificationPage(items=[NotificationOut.of(r) for r in rows], next_cursor=next_cursor)


@router.post("/api/staff/notifications/{notification_id}/resend", response_model=NotificationOut,
             responses={404: {"description": "No such email"}, 409: {"description": "Not failed"}})
async def resend(notification_id: uuid.UUID, staff: Staff,
                 session: AsyncSession = Depends(get_session)) -> NotificationOut:
    row, resent = await repository.resend_failed(session, notification_id)
    if row is None:
        raise NotFound("Email non trovata.")
    if not resent:
        raise Conflict("Si reinvia solo un'email non consegnata: questa è già "
                       + ("stata inviata." if row.status == Status.SENT else "in coda di invio."))
    await session.commit()
    await session.refresh(row)
    return NotificationOut.of(row)
