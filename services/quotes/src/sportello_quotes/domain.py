"""The rules of a quote: its state machine, numbering, validity dates and the pricing of its lines.

Pure functions and tables, no I/O: the API, the event handlers and the expiry job all decide
through here, so a rule lives in exactly one place.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sportello.contracts.events import QuotedLine, ServiceRef
from sportello.contracts.fields import FieldError
from sportello.contracts.money import Totals, line_amounts, totals
from sportello.errors import Conflict, ValidationFailed

# Validity dates are calendar days of the business, which is in Italy.
ROME = ZoneInfo("Europe/Rome")


class Status(StrEnum):
    REQUESTED = "requested"
    QUOTED = "quoted"
    ACCEPTED = "accepted"
    ORDERED = "ordered"
    DECLINED = "declined"
    REJECTED = "rejected"
    EXPIRED = "expired"


# The whole state machine (ARCHITECTURE.md). QUOTED → QUOTED is a re-issue: a new revision.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.REQUESTED: frozenset({Status.QUOTED, Status.REJECTED}),
    Status.QUOTED: frozenset({Status.QUOTED, Status.ACCEPTED, Status.DECLINED, Status.EXPIRED}),
    Status.ACCEPTED: frozenset({Status.ORDERED}),
    Status.ORDERED: frozenset(),
    Status.DECLINED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.EXPIRED: frozenset(),
}

# How the statuses read in Italian, for the messages a customer or staff member sees.
LABELS: dict[Status, str] = {
    Status.REQUESTED: "in attesa di quotazione",
    Status.QUOTED: "quotato",
    Status.ACCEPTED: "accettato",
    Status.ORDERED: "ordinato",
    Status.DECLINED: "rifiutato dal cliente",
    Status.REJECTED: "respinto",
    Status.EXPIRED: "scaduto",
}

# What each target status means as an action, for "cannot <action>" messages.
ACTIONS: dict[Status, str] = {
    Status.QUOTED: "emettere o aggiornare il preventivo",
    Status.ACCEPTED: "accettarlo",
    Status.ORDERED: "segnarlo come ordinato",
    Status.DECLINED: "rifiutarlo",
    Status.REJECTED: "respingerlo",
    Status.EXPIRED: "farlo scadere",
}


class Actor(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    SYSTEM = "system"


def check_transition(number: str, current: str, to: Status) -> None:
    """Raise 409 unless the table allows `current → to`."""
    now = Status(current)
    if to not in TRANSITIONS[now]:
        raise Conflict(
            f"Il preventivo {number} è {LABELS[now]}: non è possibile {ACTIONS.get(to, to)}.",
            extra={"quote_status": now.value},
        )


def rome_today(now: datetime) -> date:
    return now.astimezone(ROME).date()


# --- validity ---------------------------------------------------------------------------------


def is_past_validity(valid_until: date | None, now: datetime) -> bool:
    """A quote is valid through its `valid_until` day in Rome; from the next Rome day it is not."""
    return valid_until is not None and rome_today(now) > valid_until


def check_acceptable(number: str, status: str, valid_until: date | None, now: datetime) -> None:
    """Accept needs `quoted` (the table) and a validity not yet past, even if the job hasn't run."""
    check_transition(number, status, Status.ACCEPTED)
    if is_past_validity(valid_until, now):
        raise Conflict(
            f"Il preventivo {number} era valido fino al {valid_until:%d/%m/%Y} ed è scaduto: "
            "non è più possibile accettarlo.",
            extra={"quote_status": Status.EXPIRED.value},
        )


def check_revision_seen(number: str, current: int, seen: int | None) -> None:
    """A customer accepts the prices they read: a newer revision means reading them again."""
    if seen is not None and seen != current:
        raise Conflict(
            f"Il preventivo {number} è stato aggiornato (versione {current}): "
            "rivedi i nuovi prezzi prima di accettarlo.",
            extra={"current_revision": current},
        )


def validity_errors(valid_until: date, now: datetime) -> list[FieldError]:
    if valid_until < rome_today(now):
        return [FieldError(field="valid_until",
                           message="La data di validità non può essere nel passato.")]
    return []


# --- pricing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestLine:
    """A requested line as the quote keeps it (what staff price)."""

    line_id: uuid.UUID
    service: ServiceRef
    vat_rate_bp: int
    quantity: int
    answers: dict[str, Any]
    answer_labels: list[dict[str, str]]


@dataclass(frozen=True)
class LinePrice:
    line_id: uuid.UUID
    unit_net_cents: int


def price_lines(lines: list[RequestLine], prices: list[LinePrice]) -> list[QuotedLine]:
    """Every requested line priced exactly once; VAT per line half-up; in the quote's line order.

    Errors name the field as the client sent it: an unknown or repeated line at its own index; a
    line left without a price at the index it has in the quote (where the client lists it).
    """
    known = {line.line_id: line for line in lines}
    errors: list[FieldError] = []
    given: dict[uuid.UUID, int] = {}
    for i, price in enumerate(prices):
        if price.line_id not in known:
            errors.append(FieldError(field=f"lines.{i}.line_id",
                                     message="Riga sconosciuta: non fa parte di questo preventivo."))
        elif price.line_id in given:
            errors.append(FieldError(field=f"lines.{i}.line_id",
                                     message="Riga già prezzata: ogni riga va indicata una sola volta."))
        else:
            given[price.line_id] = price.unit_net_cents
    for i, line in enumerate(lines):
        if line.line_id not in given:
            errors.append(FieldError(
                field=f"lines.{i}.line_id",
                message=f"Manca il prezzo della riga «{line.service.name}» ({line.line_id}).",
            ))
    if errors:
        raise ValidationFailed(errors, "Ogni riga del preventivo va prezzata una e una sola volta.")
    return [quoted_line(line, given[line.line_id]) for line in lines]


def quoted_line(line: RequestLine, unit_net_cents: int) -> QuotedLine:
    amounts = line_amounts(unit_net_cents, line.quantity, line.vat_rate_bp)
    return QuotedLine(
        line_id=line.line_id,
        service=line.service,
        answers=line.answers,
        answer_labels=line.answer_labels,
        **amounts.model_dump(),
    )


def quote_totals(lines: list[QuotedLine]) -> Totals:
    return totals(lines)
