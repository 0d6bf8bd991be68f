"""What happens to an order: created from a checkout, moved through the state machine (each move
kept in the status history and announced in the same transaction), paid by card through the
provider's hosted page (its webhook applied once and never backwards) or by a bank transfer
confirmed by staff. Routes, handlers and the job call these and commit (or the consumer does)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import structlog
from sportello.contracts.billing import Billing
from sportello.contracts.events import (
    BankTransferInstructions,
    CartCheckedOut,
    Contact,
    OrderCancelled,
    OrderPaid,
    OrderPaymentFailed,
    OrderPaymentNeedsStaff,
    OrderPlaced,
    OrderStatusChanged,
    OrderWithdrawalRequested,
    PricedLine,
    priced_snapshot_columns,
    priced_snapshot_of,
)
from sportello.contracts.money import TaxedTotals
from sportello.contracts.tax import document_totals, line_treatment
from sportello.errors import Conflict, ValidationFailed
from sportello.messaging import emit
from sportello.numbering import ROME
from sportello.settings import Settings
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_orders import domain, repository, schemas
from sportello_orders.domain import Actor, Move, PaymentStatus, Status
from sportello_orders.models import Order, OrderLine, Payment, StatusChange
from sportello_orders.providers import HostedSession, PaymentProvider, SessionRequest, WebhookEvent

log = structlog.get_logger()


async def create_from_checkout(session: AsyncSession, data: CartCheckedOut,
                               settings: Settings) -> Order | None:
    """The order of a checkout, `awaiting_payment`, announced by `order.placed`.
    None if that order id already exists (the cart published the checkout again)."""
    if await session.get(Order, data.order_id) is not None:
        log.info("checkout_already_ordered", order_id=str(data.order_id))
        return None
    now = datetime.now(UTC)
    # Totals are sums of the lines by the shared rule, whatever the sender added up; the stamp
    # duty as the cart charged it (its setting).
    sums = document_totals(
        [(line, line.treatment or line_treatment(line.vat_rate_bp, line.vat_exemption, data.billing))
         for line in data.lines], charge_stamp_duty=data.totals.stamp_duty_cents > 0)
    if sums != data.totals:
        log.warning("checkout_totals_mismatch", order_id=str(data.order_id),
                    sent=data.totals.model_dump(), lines=sums.model_dump())
    order = Order(
        id=data.order_id,
        number=await repository.next_number(session, now),
        customer_id=data.customer.account_id,
        customer_email=data.customer.email,
        customer_first_name=data.customer.first_name,
        customer_last_name=data.customer.last_name,
        status=Status.AWAITING_PAYMENT.value,
        payment_method=data.payment_method,
        currency=data.currency,
        net_cents=sums.net_cents,
        vat_cents=sums.vat_cents,
        gross_cents=sums.gross_cents,
        stamp_duty_cents=sums.stamp_duty_cents,
        vat_groups=[g.model_dump() for g in sums.vat_groups], tax_notes=sums.notes,
        vat_number_check=data.vat_number_check,
        billing=data.billing.model_dump(mode="json"),
        placed_at=now,
        updated_at=now,
        terms_version=data.terms.version if data.terms else None,
        terms_accepted_at=data.terms.accepted_at if data.terms else None,
        early_start_consent_at=data.early_start_consent_at,
        lines=[
            OrderLine(position=i, line_id=line.line_id, quote_id=line.quote_id,
                      **priced_snapshot_columns(line))
            for i, line in enumerate(data.lines)
        ],
        history=[StatusChange(from_status=None, status=Status.AWAITING_PAYMENT.value, at=now,
                              actor=Actor.CUSTOMER.value, actor_id=data.customer.account_id)],
    )
    session.add(order)
    await session.flush()
    await emit(session, "order.placed", OrderPlaced(
        order_id=order.id, number=order.number, customer=contact(order), lines=priced_lines(order),
        totals=order_totals(order), billing=data.billing, payment_method=data.payment_method,
        vat_number_check=order.vat_number_check, placed_at=now,
        bank_transfer=bank_transfer(order, settings), terms=data.terms,
        early_start_consent_at=order.early_start_consent_at,
        withdrawal_until=domain.withdrawal_until(order.billing, now),
    ))
    log.info("order_placed", order_id=str(order.id), number=order.number)
    return order


async def move(session: AsyncSession, order: Order, to: Status, actor: Actor, *,
               actor_id: uuid.UUID | None = None, note: str | None = None,
               reason: str | None = None) -> Move:
    """Check the state machine, keep the move in the history, announce it (caller commits).

    Every move is announced by `order.status_changed` (the feed of the status history); paid,
    payment_failed and cancelled also by their own event, which carries what its readers need.
    """
    m = domain.transition(order, to, actor, note)
    order.updated_at = m.at
    if to == Status.PAID:
        order.paid_at = m.at
    if to == Status.REFUNDED and order.refund_cents is None:
        order.refund_cents = order.gross_cents  # a refund without an amount gives it all back
    order.history.append(StatusChange(from_status=m.from_status.value, status=to.value, at=m.at,
                                      actor=actor.value, actor_id=actor_id, note=note))
    if to in OWN_EVENT:
        event_type, payload = OWN_EVENT[to]
        await emit(session, event_type, payload(order, reason, note))
    await emit(session, "order.status_changed", OrderStatusChanged(
        order_id=order.id, number=order.number, customer=contact(order),
        from_status=m.from_status.value, status=to.value, note=note, at=m.at,
        refund_cents=order.refund_cents if to == Status.REFUNDED else None))
    log.info("order_status_changed", order_id=str(order.id), number=order.number,
             from_status=m.from_status.value, status=to.value, actor=actor.value)
    return m


def payment_failed_event(order: Order, reason: str | None) -> OrderPaymentFailed:
    return OrderPaymentFailed(order_id=order.id, number=order.number, customer=contact(order),
                              total_gross_cents=order.gross_cents, reason=reason)


def cancelled_event(order: Order, reason: str | None) -> OrderCancelled:
    return OrderCancelled(order_id=order.id, number=order.number, customer=contact(order),
                          reason=reason)


def withdrawal_event(order: Order) -> OrderWithdrawalRequested:
    return OrderWithdrawalRequested(
        order_id=order.id, number=order.number, customer=contact(order),
        reason=order.withdrawal_reason, requested_at=order.withdrawal_requested_at,
        early_start_consent_at=order.early_start_consent_at, total_gross_cents=order.gross_cents)


# The statuses announced by their own event too, besides order.status_changed: event type, and
# its payload from (order, reason, note).
OWN_EVENT = {
    Status.PAID: ("order.paid", lambda order, reason, note: paid_event(order)),
    Status.PAYMENT_FAILED: ("order.payment_failed",
                            lambda order, reason, note: payment_failed_event(order, reason)),
    Status.CANCELLED: ("order.cancelled",
                       lambda order, reason, note: cancelled_event(order, reason or note)),
    Status.WITHDRAWAL_REQUESTED: ("order.withdrawal_requested",
                                  lambda order, reason, note: withdrawal_event(order)),
}


def paid_event(order: Order) -> OrderPaid:
    return OrderPaid(
        order_id=order.id, number=order.number, customer=contact(order),
        lines=priced_lines(order), totals=order_totals(order),
        billing=Billing.model_validate(order.billing), payment_method=order.payment_method,
        vat_number_check=order.vat_number_check, paid_at=order.paid_at,
        quote_ids=sorted({line.quote_id for line in order.lines if line.quote_id}),
    )


def contact(order: Order) -> Contact:
    return Contact(account_id=order.customer_id, email=order.customer_email,
                   first_name=order.customer_first_name, last_name=order.customer_last_name)


def order_totals(order: Order) -> TaxedTotals:
    return TaxedTotals(net_cents=order.net_cents, vat_cents=order.vat_cents,
                       gross_cents=order.gross_cents, stamp_duty_cents=order.stamp_duty_cents or 0,
                       vat_groups=order.vat_groups or [], notes=order.tax_notes or [])


def priced_lines(order: Order) -> list[PricedLine]:
    return [
        PricedLine(line_id=line.line_id, quote_id=line.quote_id, **priced_snapshot_of(line))
        for line in order.lines
    ]


def bank_transfer(order: Order, settings: Settings) -> BankTransferInstructions | None:
    if order.payment_method != "bank_transfer":
        return None
    return BankTransferInstructions(iban=settings.bank_iban, beneficiary=settings.bank_beneficiary,
                                    reference=order.number, amount_cents=order.gross_cents)



async def redact_customer(session: AsyncSession, account_id: uuid.UUID) -> int:
    """account.deleted: erase what invoicing law does not require (domain.redact); an unpaid
    order is cancelled and loses its billing data too. How many orders it touched."""
    orders = await repository.of_customer(session, account_id)
    now = datetime.now(UTC)
    for order in orders:
        domain.redact(order, now)
        if domain.can_transition(order.status, Status.CANCELLED):
            await move(session, order, Status.CANCELLED, Actor.SYSTEM,
                       note="Annullato: l'account è stato eliminato.", reason="account_deleted")
        if not domain.keeps_billing(order.status):
            order.billing = None
    return len(orders)


# --- payments --------------------------------------------------------------------------------


def check_payable(order: Order, method: str) -> None:
    if order.payment_method != method:
        raise Conflict("Questo ordine ha un altro metodo di pagamento.")
    if not domain.may_pay(order.status, method):
        raise Conflict(f"L'ordine è «{domain.LABELS[Status(order.status)]}»: non c'è nulla da pagare.")


# An open hosted session is handed out again for this long; older ones may have expired at the
# provider (Stripe: 24 h) and a new one is made.
REUSE_OPEN_SESSION = timedelta(hours=12)


async def open_session(session: AsyncSession, order: Order) -> Payment | None:
    """The order's latest card attempt if it is still open (pending, recent, same amount)."""
    latest = (await session.execute(
        select(Payment).where(Payment.order_id == order.id)
        .order_by(Payment.created_at.desc(), Payment.id.desc()).limit(1))).scalar_one_or_none()
    if (latest is not None and latest.status == PaymentStatus.PENDING.value
            and latest.redirect_url and latest.amount_cents == order.gross_cents
            and latest.created_at > datetime.now(UTC) - REUSE_OPEN_SESSION):
        return latest
    return None


async def start_card_payment(session: AsyncSession, order: Order, provider: PaymentProvider,
                             return_url: str) -> HostedSession:
    """The order's one open hosted payment session: the open one again (a second tab, a reload),
    else a new one (after a failure each retry gets its own, so it is clean). One payable page
    per order, so a customer cannot pay the same order twice from two tabs."""
    check_payable(order, "card")
    # Locked while the provider answers: two simultaneous clicks make one session, not two.
    order = await repository.get(session, order.id, lock=True)
    check_payable(order, "card")
    if (existing := await open_session(session, order)) is not None:
        await session.commit()
        log.info("payment_session_reused", order_id=str(order.id),
                 session_id=existing.provider_session_id)
        return HostedSession(session_id=existing.provider_session_id,
                             redirect_url=existing.redirect_url)
    payment_id = uuid.uuid4()
    request = SessionRequest(
        payment_id=payment_id, order_id=order.id, number=order.number,
        amount_cents=order.gross_cents, description=f"Ordine {order.number}",
        customer_email=order.customer_email, return_url=return_url,
    )
    try:
        hosted = await provider.create_session(request)
    except BaseException:
        await session.rollback()
        raise
    now = datetime.now(UTC)
    session.add(Payment(
        id=payment_id, order_id=order.id, provider=provider.name,
        provider_session_id=hosted.session_id, status=PaymentStatus.PENDING.value,
        amount_cents=order.gross_cents, redirect_url=hosted.redirect_url,
        created_at=now, updated_at=now,
    ))
    await session.commit()
    log.info("payment_session_created", order_id=str(order.id), provider=provider.name,
             session_id=hosted.session_id)
    return hosted


async def apply_webhook(session: AsyncSession, provider: str, event: WebhookEvent) -> str:
    """Apply one verified provider event; what it did, in a word. The caller commits.

    The event id is recorded first: a replayed or duplicated webhook finds it and changes nothing.
    """
    now = datetime.now(UTC)
    if not await repository.record_provider_event(session, provider, event, now):
        log.info("webhook_duplicate", provider=provider, event_id=event.event_id)
        return "duplicate"
    result = await _apply(session, provider, event, now)
    await repository.set_provider_event_result(session, provider, event.event_id, result)
    log.info("webhook_applied", provider=provider, event_id=event.event_id,
             order_id=str(event.order_id), outcome=event.outcome, result=result)
    return result


async def _apply(session: AsyncSession, provider: str, event: WebhookEvent, now: datetime) -> str:
    if event.outcome is None:
        return "ignored_event_type"
    order = await repository.find_locked(session, event.order_id)
    if order is None:
        log.warning("webhook_unknown_order", provider=provider, event_id=event.event_id)
        return "unknown_order"
    session_key = event.session_id or f"event:{event.event_id}"
    payment = await repository.payment_of_session(session, provider, session_key)
    if payment is None:
        # The provider knows an attempt we did not record (e.g. our commit failed after the
        # session was created): what it says about the money still counts.
        payment = Payment(id=uuid.uuid4(), order_id=order.id, provider=provider,
                          provider_session_id=session_key, status=PaymentStatus.PENDING.value,
                          amount_cents=event.amount_cents or order.gross_cents,
                          created_at=now, updated_at=now)
        session.add(payment)
        await session.flush()
    latest = await repository.latest_payment_id(session, order.id)
    decision = domain.decide_outcome(order.status, payment.status, latest == payment.id,
                                     event.outcome, event.amount_cents, order.gross_cents)
    if decision.payment_status is not None:
        payment.status = decision.payment_status.value
        payment.failure_reason = event.reason if event.outcome == "failed" else None
        payment.updated_at = now
    if decision.order_status == Status.PAID:
        await move(session, order, Status.PAID, Actor.PROVIDER,
                   note="Pagamento con carta ricevuto.")
    elif decision.order_status == Status.PAYMENT_FAILED:
        await move(session, order, Status.PAYMENT_FAILED, Actor.PROVIDER,
                   note=domain.failure_note(event.reason), reason=event.reason)
    elif decision.announce_failure:
        await emit(session, "order.payment_failed", payment_failed_event(order, event.reason))
    if decision.reason in ("amount_mismatch", "order_not_payable"):
        # Money may have been taken for an order we cannot fulfil: staff must look at it (an
        # email to staff; refunds are made by staff at the provider, not automatically).
        log.error("payment_needs_staff", order_id=str(order.id), number=order.number,
                  reason=decision.reason, amount_cents=event.amount_cents)
        await emit(session, "order.payment_needs_staff", OrderPaymentNeedsStaff(
            order_id=order.id, number=order.number, customer=contact(order),
            reason=decision.reason, order_status=order.status, provider=provider,
            provider_session_id=event.session_id, amount_cents=event.amount_cents,
            expected_cents=order.gross_cents))
    return decision.reason or "applied"


async def confirm_transfer(session: AsyncSession, order: Order, staff_id: uuid.UUID,
                           note: str | None) -> None:
    if order.payment_method != "bank_transfer":
        raise Conflict("Questo ordine non è pagato con bonifico bancario.")
    await move(session, order, Status.PAID, Actor.STAFF, actor_id=staff_id,
               note=note or "Bonifico ricevuto.")


# --- withdrawal and refund -----------------------------------------------------------------


async def withdraw(session: AsyncSession, order: Order, reason: str | None) -> None:
    """A consumer withdraws within the period (art. 52): the order waits for staff's refund;
    staff and the customer are told (order.withdrawal_requested). The caller commits."""
    now = datetime.now(UTC)
    domain.check_withdrawal(order, now)
    order.withdrawal_requested_at = now
    order.withdrawal_reason = reason
    note = "Recesso richiesto dal cliente." + (f" Motivo: {reason}" if reason else "")
    await move(session, order, Status.WITHDRAWAL_REQUESTED, Actor.CUSTOMER,
               actor_id=order.customer_id, note=note)


async def refund(session: AsyncSession, order: Order, staff_id: uuid.UUID,
                 amount_cents: int | None, note: str | None) -> None:
    """Staff give the money back: all of it, or after an early start the part not performed."""
    domain.check_transition(order.status, Status.REFUNDED)
    if errors := domain.refund_errors(order, amount_cents, note):
        raise ValidationFailed(errors)
    order.refund_cents = order.gross_cents if amount_cents is None else amount_cents
    order.refund_note = note
    await move(session, order, Status.REFUNDED, Actor.STAFF, actor_id=staff_id,
               note=note or "Rimborso dell'intero importo.")


async def orders_report(session: AsyncSession, days: int, now: datetime) -> schemas.OrdersReport:
    """The last `days` calendar days in Rome, today included, and what waits for staff now."""
    today = now.astimezone(ROME).date()
    first = today - timedelta(days=days - 1)
    placed, paid, queues = await repository.report_rows(
        session, datetime.combine(first, datetime.min.time(), ROME))
    series = [schemas.DayFigures(day=day, orders=n, revenue_gross_cents=gross, revenue_net_cents=net)
              for day, n, gross, net in domain.day_series(first, days, placed, paid)]
    return schemas.OrdersReport(
        days=series, orders=sum(d.orders for d in series),
        revenue_gross_cents=sum(d.revenue_gross_cents for d in series),
        revenue_net_cents=sum(d.revenue_net_cents for d in series), queues=queues)
