"""The rules of notifications, no I/O: email identity, the status table, retries, order labels."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from enum import StrEnum
from typing import Any

from sportello.contracts.labels import ORDER_STATUS_LABELS
from sportello.errors import Conflict


class Status(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


# pending → pending is a failed attempt that will be retried; sent and failed are final.
TRANSITIONS: dict[Status, set[Status]] = {
    Status.PENDING: {Status.PENDING, Status.SENT, Status.FAILED},
    Status.SENT: set(),
    Status.FAILED: set(),
}

# Message-IDs are uuid5 of the dedup key: the same email always has the same id, so even a
# resend after a crash between SMTP "250" and our commit can be recognised by the receiver.
MESSAGE_ID_NAMESPACE = uuid.UUID("0b8f3a52-2f5e-4b8e-9a43-6c1f5d0c9e17")
REDACTED = "[dato rimosso]"

# Statuses whose own event (order.paid, order.payment_failed) already brings a richer email;
# a status_changed to these would only repeat it.
STATUSES_WITH_OWN_EMAIL = {"paid", "payment_failed", "awaiting_payment", "withdrawal_requested"}


def check_transition(current: str, to: Status) -> Status:
    if to not in TRANSITIONS[Status(current)]:
        raise Conflict(f"Una notifica «{current}» non può passare a «{to}».")
    return to


def status_label(status: str) -> str:
    return ORDER_STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


@dataclass
class Draft:
    """An email to record: which template, to whom, with what, about which order or quote."""

    template: str
    recipient: str
    recipient_name: str | None
    context: dict[str, Any]
    audience: str = "customer"
    account_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    order_number: str | None = None
    quote_id: uuid.UUID | None = None
    # Set when one email must stay one even across different events (e.g. an order's
    # cancellation announced by both order.cancelled and order.status_changed).
    dedup_key: str | None = None

    def key(self, event_id: uuid.UUID) -> str:
        return self.dedup_key or f"{event_id}:{self.template}:{self.recipient.lower()}"


def message_id(dedup_key: str, mail_from: str) -> str:
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "sportello.example"
    return f"<{uuid.uuid5(MESSAGE_ID_NAMESPACE, dedup_key)}@{domain}>"


@dataclass(frozen=True)
class Outcome:
    status: Status
    next_attempt_at: datetime | None
    error: str | None


def after_attempt(attempts_before: int, error: str | None, permanent: bool,
                  delays: list[float], now: datetime | None = None) -> Outcome:
    """What one delivery attempt leaves: sent; retried after `delays[n]`; or failed for good.

    `delays` are the waits before each retry, so there are len(delays) + 1 attempts in all;
    a permanent refusal (5xx for the recipient) fails at once: retrying cannot change it.
    """
    now = now or datetime.now(UTC)
    if error is None:
        return Outcome(Status.SENT, None, None)
    if permanent or attempts_before >= len(delays):
        return Outcome(Status.FAILED, None, error)
    return Outcome(Status.PENDING, now + timedelta(seconds=delays[attempts_before]), error)
