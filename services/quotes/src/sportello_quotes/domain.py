"""The rules of a quote: its state machine, numbering, validity dates and the pricing of its lines
(taxed by the shared rule, sportello.contracts.tax, for the billing data staff give, as the
checkout taxes them).

Pure functions and tables, no I/O: the API, the event handlers and the expiry job all decide
through here, so a rule lives in exactly one place.
"""

from __future__ import annotations

import uuid
from collections.abc import Container
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sportello.contracts.billing import Billing, billing_errors, normalised
from sportello.contracts.events import QuotedLine, ServiceRef, ServiceSnapshot
from sportello.contracts.fields import FieldError, prefixed
from sportello.contracts.forms import price_answers
from sportello.contracts.money import TaxedTotals
from sportello.contracts.tax import document_totals, taxed_amounts
from sportello.errors import Conflict, ValidationFailed

# Validity dates are calendar days of the business, which is in Italy.
ROME = ZoneInfo("Europe/Rome")


class Status(StrEnum):
    REQUESTED = "requested"
    QUOTED = "quoted"
    CHANGES_REQUESTED = "changes_requested"
    ACCEPTED = "accepted"
    ORDERED = "ordered"
    DECLINED = "declined"
    REJECTED = "rejected"
    EXPIRED = "expired"


# The whole state machine (ARCHITECTURE.md). QUOTED → QUOTED is a re-issue: a new revision.
# A customer who asks for a change sends the quote back to staff, who re-issue (→ QUOTED) or
# reject it; the customer may still decline it while they wait.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.REQUESTED: frozenset({Status.QUOTED, Status.REJECTED}),
    Status.QUOTED: frozenset({Status.QUOTED, Status.CHANGES_REQUESTED, Status.ACCEPTED,
                              Status.DECLINED, Status.EXPIRED}),
    Status.CHANGES_REQUESTED: frozenset({Status.QUOTED, Status.REJECTED, Status.DECLINED}),
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
    Status.CHANGES_REQUESTED: "in revisione su tua richiesta",
    Status.ACCEPTED: "accettato",
    Status.ORDERED: "ordinato",
    Status.DECLINED: "rifiutato dal cliente",
    Status.REJECTED: "respinto",
    Status.EXPIRED: "scaduto",
}

# What each target status means as an action, for "cannot <action>" messages.
ACTIONS: dict[Status, str] = {
    Status.QUOTED: "emettere o aggiornare il preventivo",
    Status.CHANGES_REQUESTED: "chiedere una modifica",
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


# --- the conversation -------------------------------------------------------------------------

MAX_MESSAGE = 4000
# Statuses in which a conversation is still open: after them there is nothing left to discuss.
OPEN_FOR_MESSAGES = frozenset({Status.REQUESTED, Status.QUOTED, Status.CHANGES_REQUESTED,
                               Status.ACCEPTED})


def check_open_for_messages(number: str, current: str) -> None:
    now = Status(current)
    if now not in OPEN_FOR_MESSAGES:
        raise Conflict(f"Il preventivo {number} è {LABELS[now]}: non è più possibile scrivere "
                       "messaggi.", extra={"quote_status": now.value})


# --- reminders --------------------------------------------------------------------------------


def expiry_reminder_due(valid_until: date, today: date, days_before: int) -> bool:
    """Remind once the last valid day is within `days_before` days (and not yet past)."""
    return today <= valid_until and (valid_until - today).days <= days_before


def working_days_between(start: date, end: date, holidays: Container[date]) -> int:
    """Working days after `start` up to and including `end`: Monday to Friday, not a holiday."""
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            days += 1
    return days


def pricing_reminder_due(requested_on: date, today: date, working_days: int,
                         holidays: Container[date]) -> bool:
    return working_days_between(requested_on, today, holidays) >= working_days


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
    vat_exemption: str | None = None


@dataclass(frozen=True)
class LinePrice:
    line_id: uuid.UUID
    unit_net_cents: int


def price_lines(lines: list[RequestLine], prices: list[LinePrice],
                billing: Billing | None = None) -> list[QuotedLine]:
    """Every requested line priced exactly once; VAT per line half-up, by the tax rule for
    `billing` (None: an Italian consumer); in the quote's line order.

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
    return [quoted_line(line, given[line.line_id], billing) for line in lines]


def quoted_line(line: RequestLine, unit_net_cents: int,
                billing: Billing | None = None) -> QuotedLine:
    # Without billing data the Italian consumer's treatment; the checkout taxes the accepted
    # lines again for the billing data given there.
    amounts, treatment = taxed_amounts(unit_net_cents, line.quantity, line.vat_rate_bp,
                                       line.vat_exemption, billing)
    return QuotedLine(
        line_id=line.line_id,
        service=line.service,
        answers=line.answers,
        answer_labels=line.answer_labels,
        vat_exemption=line.vat_exemption,
        treatment=treatment,
        **amounts.model_dump(),
    )


# A line staff write by hand has no catalog service: it goes by this slug, its text as the name.
FREE_LINE_SLUG = "voce-libera"
DEFAULT_VAT_RATE_BP = 2200


@dataclass(frozen=True)
class StaffLine:
    """A line of a quote staff start: a catalog service with its answers, or a free text."""

    quantity: int
    unit_net_cents: int
    service_slug: str | None = None
    answers: dict[str, Any] | None = None
    description: str | None = None
    vat_rate_bp: int | None = None


def staff_request_line(index: int, line: StaffLine, service: ServiceSnapshot | None) -> RequestLine:
    """The line as the quote keeps it; 422 naming `lines.<i>...` when it cannot be one."""
    at = f"lines.{index}"
    if line.service_slug is None:
        if not line.description:
            raise ValidationFailed([FieldError(
                field=f"{at}.description",
                message="Indica il servizio del catalogo o una descrizione della voce.")])
        return RequestLine(
            line_id=uuid.uuid4(),
            service=ServiceRef(slug=FREE_LINE_SLUG, name=line.description, version=0),
            vat_rate_bp=DEFAULT_VAT_RATE_BP if line.vat_rate_bp is None else line.vat_rate_bp,
            quantity=line.quantity, answers={}, answer_labels=[])
    if service is None:
        raise ValidationFailed([FieldError(field=f"{at}.service_slug",
                                           message="Servizio sconosciuto o non più in catalogo.")])
    priced, errors = price_answers(service.form, service.base_net_cents, line.answers or {})
    if errors or priced is None:
        raise ValidationFailed([FieldError(field=f"{at}.{e.field}", message=e.message)
                                for e in errors])
    return RequestLine(
        line_id=uuid.uuid4(),
        service=ServiceRef(slug=service.slug, name=service.name, version=service.version),
        vat_rate_bp=service.vat_rate_bp, vat_exemption=service.vat_exemption,
        quantity=line.quantity, answers=priced.answers,
        answer_labels=[a.model_dump() for a in priced.answer_labels])


def checked_billing(billing: Billing | None) -> tuple[Billing | None, list[FieldError]]:
    """The billing data staff give for a quote, normalised, or the errors naming `billing.<field>`:
    the rules the checkout applies, so a quote is never taxed for data the checkout would refuse."""
    if billing is None:
        return None, []
    errors = prefixed(billing_errors(billing), "billing")
    return (None, errors) if errors else (normalised(billing), [])


def quote_totals(lines: list[QuotedLine], charge_stamp_duty: bool) -> TaxedTotals:
    """Sums, VAT summary, notes and the stamp duty (when charged to the customer), as an order's."""
    # Every line priced here carries its treatment (quoted_line).
    return document_totals([(line, line.treatment) for line in lines], charge_stamp_duty)
