"""The response shapes of API.md "Notifications"."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class Refs(BaseModel):
    order_id: uuid.UUID | None = None
    order_number: str | None = None
    quote_id: uuid.UUID | None = None


class NotificationOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    template: str
    recipient: str
    subject: str
    message_id: str
    status: Literal["pending", "sent", "failed"]
    attempts: int
    last_error: str | None = None
    created_at: datetime
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None
    refs: Refs

    @classmethod
    def of(cls, row) -> NotificationOut:
        return cls(
            id=row.id, event_id=row.event_id, event_type=row.event_type, template=row.template,
            recipient=row.recipient, subject=row.subject, message_id=row.message_id,
            status=row.status, attempts=row.attempts, last_error=row.last_error,
            created_at=row.created_at, sent_at=row.sent_at,
            next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
            refs=Refs(order_id=row.order_id, order_number=row.order_number, quote_id=row.quote_id),
        )


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None
