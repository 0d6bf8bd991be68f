"""The rules of an order: its state machine, the moves staff may make, who may pay, who may
withdraw and what a refund may be, payment outcomes, the auto-cancel note, redaction and what
it keeps. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from sportello.contracts.fields import FieldError
from sportello.contracts.labels import ORDER_STATUS_LABELS
from sportello.contracts.legal import WITHDRAWAL_DAYS, withdrawal_deadline
from sportello.contracts.money import format_eur
from sportello.errors import Conflict


class Status(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAYMENT_FAILED = "payment_failed"
    PAID = "paid"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    WITHDRAWAL_REQUESTED = "withdrawal_requested"
    REFUNDED = "refunded"


# Status values are the keys of the shared table (a StrEnum looks up as its string).
LABELS = ORDER_STATUS_LABELS

# The order's state machine (ARCHITECTURE.md): from → the statuses it may move to.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.AWAITING_PAYMENT: frozenset({Status.PAID, Status.PAYMENT_FAILED, Status.CANCELLED}),
    Status.PAYMENT_FAILED: frozenset({Status.PAID, Status.CANCELLED}),
    Status.PAID: frozenset({Status.IN_PROGRESS, Status.REFUNDED, Status.WITHDRAWAL_REQUESTED}),
    Status.IN_PROGRESS: frozenset({Status.COMPLETED, Status.REFUNDED,
                                   Status.WITHDRAWAL_REQUESTED}),
    # Completed without an early-start request the consumer may still withdraw (art. 59 lett. a).
    Status.COMPLETED: frozenset({Status.WITHDRAWAL_REQUESTED}),
    # The consumer withdrew: staff refund (art. 56), whole or pro rata (art. 57 c. 3).
    Status.WITHDRAWAL_REQUESTED: frozenset({Status.REFUNDED}),
    Status.CANCELLED: frozenset(),
    Status.REFUNDED: frozenset(),
}

UNPAID = frozenset({Status.AWAITING_PAYMENT, Status.PAYMENT_FAILED})
# What staff may move an order to by hand (paid comes from the provider or confirm-transfer).
STAFF_MOVES = (Status.IN_PROGRESS, Status.COMPLETED, Status.REFUNDED, Status.CANCELLED)
# Statuses after a payment was taken: an invoice exists, its data must be kept (10 years).
INVOICED = frozenset({Status.PAID, Status.IN_PROGRESS, Status.COMPLETED,
                      Status.WITHDRAWAL_REQUESTED, Status.REFUNDED})


class Actor(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    PROVIDER = "provider"
    SYSTEM = "system"


@dataclass(frozen=True)
class Move:
    """One accepted transition: what the status history keeps and the events announce."""

    from_status: Status
    status: Status
    at: datetime
    actor: Actor
    note: str | None = None


def check_transition(current: str, to: Status) -> None:
    """Raise Conflict (409) unless the table allows current → to."""
    frm = Status(current)
    if to not in TRANSITIONS[frm]:
        raise Conflict(
            f"Impossibile passare da «{LABELS[frm]}» a «{LABELS[to]}».",
            extra={"from_status": frm.value, "to_status": to.value},
        )


def transition(order, to: Status, actor: Actor, note: str | None = None,
               now: datetime | None = None) -> Move:
    """Move `order` (anything with .status) to `to`; the Move to record and announce."""
    check_transition(order.status, to)
    move = Move(Status(order.status), to, now or datetime.now(UTC), actor, note)
    order.status = to.value
    return move


def can_transition(current: str, to: Status) -> bool:
    return to in TRANSITIONS[Status(current)]


def may_pay(status: str, method: str) -> bool:
    """An unpaid order can be paid; a bank transfer only while it awaits payment (a transfer does
    not fail: staff confirm it or the order is cancelled)."""
    return Status(status) in UNPAID and not (
        method == "bank_transfer" and status != Status.AWAITING_PAYMENT)


# --- withdrawal (Codice del Consumo artt. 52, 57, 59) ------------------------------------


def withdrawal_until(billing: dict | None, placed_at: datetime) -> datetime | None:
    """Until when the customer may withdraw; None for an azienda (only a consumer may)."""
    if not billing or billing.get("customer_type") != "privato":
        return None
    return withdrawal_deadline(placed_at)


def withdrawal_refusal(order, now: datetime) -> str | None:
    """Why this order cannot be withdrawn from now, in the customer's words; None if it can."""
    until = withdrawal_until(order.billing, order.placed_at)
    if until is None:
        return "Il diritto di recesso spetta solo ai consumatori (acquisti come privato)."
    if now > until:
        return (f"Il periodo di recesso di {WITHDRAWAL_DAYS} giorni dall'ordine è scaduto: "
                "non è più possibile recedere.")
    if order.status == Status.COMPLETED and order.early_start_consent_at is not None:
        return ("Il servizio è stato eseguito per intero su tua richiesta di iniziare prima della "
                "fine del periodo di recesso: il diritto di recesso non si applica più.")
    if not can_transition(order.status, Status.WITHDRAWAL_REQUESTED):
        return f"L'ordine è «{LABELS[Status(order.status)]}»: non c'è nulla da cui recedere."
    return None


def check_withdrawal(order, now: datetime) -> None:
    if (reason := withdrawal_refusal(order, now)) is not None:
        raise Conflict(reason, extra={"order_status": order.status})


def refund_errors(order, amount_cents: int | None, note: str | None) -> list[FieldError]:
    """A refund gives back the whole amount paid; less only after an early start, with a note
    saying what was performed (art. 57 c. 3), and never more than was paid."""
    if amount_cents is None or amount_cents == order.gross_cents:
        return []
    if amount_cents > order.gross_cents:
        return [FieldError(field="amount_cents", message=(
            f"Il rimborso non può superare l'importo pagato ({format_eur(order.gross_cents)})."))]
    if amount_cents < 0:
        return [FieldError(field="amount_cents", message="L'importo non può essere negativo.")]
    errors = []
    if order.early_start_consent_at is None:
        errors.append(FieldError(field="amount_cents", message=(
            "Senza richiesta di inizio anticipato il cliente ha diritto al rimborso totale.")))
    if not note:
        errors.append(FieldError(field="note", message=(
            "Indica nella nota come è calcolato il rimborso parziale.")))
    return errors


# --- payments -------------------------------------------------------------------------------


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class OutcomeDecision:
    """What a provider outcome does: to the payment attempt, and maybe to the order."""

    payment_status: PaymentStatus | None  # None: the attempt keeps its status
    order_status: Status | None  # None: the order does not move
    reason: str | None = None  # why it was ignored, for the logs
    # A retry that failed again: the order stays payment_failed but the customer hears of it.
    announce_failure: bool = False


def decide_outcome(order_status: str, attempt_status: str, is_latest_attempt: bool,
                   outcome: str, amount_cents: int | None, order_gross_cents: int) -> OutcomeDecision:
    """Apply a provider's outcome without ever moving an order (or an attempt) backwards.

    Events may arrive late, twice, or out of order: a success is final; a failure of an attempt
    that is not the latest (the customer already retried) only closes that attempt.
    """
    if attempt_status == PaymentStatus.SUCCEEDED:
        return OutcomeDecision(None, None, "attempt_already_succeeded")
    if outcome == "succeeded":
        # No amount is no proof of the right amount: the provider must say what it took.
        if amount_cents is None or amount_cents != order_gross_cents:
            return OutcomeDecision(None, None, "amount_mismatch")
        if can_transition(order_status, Status.PAID):
            return OutcomeDecision(PaymentStatus.SUCCEEDED, Status.PAID)
        # Paid after a cancellation, or paid twice: money was taken, staff must refund.
        return OutcomeDecision(PaymentStatus.SUCCEEDED, None, "order_not_payable")
    if attempt_status == PaymentStatus.FAILED:
        return OutcomeDecision(None, None, "attempt_already_failed")
    if is_latest_attempt and order_status == Status.AWAITING_PAYMENT:
        return OutcomeDecision(PaymentStatus.FAILED, Status.PAYMENT_FAILED)
    if is_latest_attempt and order_status == Status.PAYMENT_FAILED:
        return OutcomeDecision(PaymentStatus.FAILED, None, "failed_again", announce_failure=True)
    return OutcomeDecision(PaymentStatus.FAILED, None, "stale_failure")


FAILURE_NOTES = {
    "carta_rifiutata": "Pagamento non riuscito: la carta è stata rifiutata.",
    "autenticazione_negata": "Pagamento non riuscito: l'autenticazione della carta non è riuscita.",
    "sessione_scaduta": "Pagamento non completato: la sessione di pagamento è scaduta.",
}


def failure_note(reason: str | None) -> str:
    return FAILURE_NOTES.get(reason or "", "Pagamento non riuscito.") + " Puoi riprovare."


# --- auto-cancel ----------------------------------------------------------------------------


def auto_cancel_note(method: str, card_hours: float, bank_transfer_hours: float) -> str:
    hours = card_hours if method == "card" else bank_transfer_hours
    span = f"{hours / 24:g} giorni" if hours >= 48 else f"{hours:g} ore"
    return f"Annullato automaticamente: pagamento non ricevuto entro {span}."


# --- account deletion -----------------------------------------------------------------------


REDACTED = ""


def redact(order, now: datetime) -> None:
    """Erase the customer from `order` (and its lines): the name, the address, their own words.
    The invoice needs the service, quantity and amounts only."""
    order.customer_email = REDACTED
    order.customer_first_name = REDACTED
    order.customer_last_name = REDACTED
    for line in order.lines:
        line.answers = {}
        line.answer_labels = []
    order.redacted_at = now
    order.updated_at = now


def keeps_billing(status: str) -> bool:
    """Paid orders keep the billing snapshot (invoices: 10-year retention); unpaid ones do not."""
    return Status(status) in INVOICED


# --- the back office's figures ---------------------------------------------------------


def day_series(first: date, days: int, placed: dict[date, int],
               paid: dict[date, tuple[int, int]]) -> list[tuple[date, int, int, int]]:
    """(day, orders, gross, net) for each calendar day of the window, days without any at zero."""
    out = []
    for i in range(days):
        day = first + timedelta(days=i)
        gross, net = paid.get(day, (0, 0))
        out.append((day, placed.get(day, 0), gross, net))
    return out
