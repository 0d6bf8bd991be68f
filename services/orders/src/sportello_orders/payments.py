"""Paying an order: a card attempt through the provider's hosted page, the provider's webhook
applied once and never backwards, a bank transfer confirmed by staff."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import structlog
from sportello.contracts.events import OrderPaymentFailed
from sportello.errors import Conflict
from sportello.messaging import emit
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_orders import domain, lifecycle
from sportello_orders.domain import Actor, PaymentStatus, Status
from sportello_orders.models import Order, Payment, ProviderEvent
from sportello_orders.providers import HostedSession, PaymentProvider, SessionRequest, WebhookEvent

log = structlog.get_logger()


def check_payable(order: Order, method: str) -> None:
    if order.payment_method != method:
        raise Conflict("Questo ordine ha un altro metodo di pagamento.")
    if Status(order.status) not in domain.UNPAID or (
            method == "bank_transfer" and order.status != Status.AWAITING_PAYMENT):
        raise Conflict(f"L'ordine è «{domain.LABELS[Status(order.status)]}»: non c'è nulla da pagare.")


async def start_card_payment(session: AsyncSession, order: Order, provider: PaymentProvider,
                             return_url: str) -> HostedSession:
    """A new hosted payment session (each attempt its own, so a retry after a failure is clean)."""
    check_payable(order, "card")
    payment_id = uuid.uuid4()
    request = SessionRequest(
        payment_id=payment_id, order_id=order.id, number=order.number,
        amount_cents=order.gross_cents, description=f"Ordine {order.number}",
        customer_email=order.customer_email, return_url=return_url,
    )
    # No transaction stays open while the provider answers.
    await session.rollback()
    hosted = await provider.create_session(request)
    order = await lifecycle.get(session, request.order_id, lock=True)
    check_payable(order, "card")  # cancelled meanwhile: the hosted session is simply abandoned
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
    first = await session.execute(
        insert(ProviderEvent).values(
            provider=provider, event_id=event.event_id, order_id=event.order_id,
            session_id=event.session_id, outcome=event.outcome, result="received", received_at=now,
        ).on_conflict_do_nothing().returning(ProviderEvent.event_id)
    )
    if first.first() is None:
        log.info("webhook_duplicate", provider=provider, event_id=event.event_id)
        return "duplicate"
    result = await _apply(session, provider, event, now)
    record = await session.get(ProviderEvent, (provider, event.event_id))
    record.result = result
    log.info("webhook_applied", provider=provider, event_id=event.event_id,
             order_id=str(event.order_id), outcome=event.outcome, result=result)
    return result


async def _apply(session: AsyncSession, provider: str, event: WebhookEvent, now: datetime) -> str:
    if event.outcome is None:
        return "ignored_event_type"
    order = None
    if event.order_id is not None:
        order = (await session.execute(
            select(Order).where(Order.id == event.order_id).with_for_update()
            .execution_options(populate_existing=True))).scalar_one_or_none()
    if order is None:
        log.warning("webhook_unknown_order", provider=provider, event_id=event.event_id)
        return "unknown_order"
    session_key = event.session_id or f"event:{event.event_id}"
    payment = (await session.execute(select(Payment).where(
        Payment.provider == provider, Payment.provider_session_id == session_key))).scalar_one_or_none()
    if payment is None:
        # The provider knows an attempt we did not record (e.g. our commit failed after the
        # session was created): what it says about the money still counts.
        payment = Payment(id=uuid.uuid4(), order_id=order.id, provider=provider,
                          provider_session_id=session_key, status=PaymentStatus.PENDING.value,
                          amount_cents=event.amount_cents or order.gross_cents,
                          created_at=now, updated_at=now)
        session.add(payment)
        await session.flush()
    latest = (await session.execute(
        select(Payment.id).where(Payment.order_id == order.id)
        .order_by(Payment.created_at.desc(), Payment.id.desc()).limit(1))).scalar_one()
    decision = domain.decide_outcome(order.status, payment.status, latest == payment.id,
                                     event.outcome, event.amount_cents, order.gross_cents)
    if decision.payment_status is not None:
        payment.status = decision.payment_status.value
        payment.failure_reason = event.reason if event.outcome == "failed" else None
        payment.updated_at = now
    if decision.order_status == Status.PAID:
        await lifecycle.move(session, order, Status.PAID, Actor.PROVIDER,
                             note="Pagamento con carta ricevuto.")
    elif decision.order_status == Status.PAYMENT_FAILED:
        await lifecycle.move(session, order, Status.PAYMENT_FAILED, Actor.PROVIDER,
                             note=domain.failure_note(event.reason), reason=event.reason)
    elif decision.announce_failure:
        await emit(session, "order.payment_failed", OrderPaymentFailed(
            order_id=order.id, number=order.number, customer=lifecycle.contact(order),
            total_gross_cents=order.gross_cents, reason=event.reason))
    if decision.reason in ("amount_mismatch", "order_not_payable"):
        # Money may have been taken for an order we cannot fulfil: staff must look at it.
        log.error("payment_needs_staff", order_id=str(order.id), number=order.number,
                  reason=decision.reason, amount_cents=event.amount_cents)
    return decision.reason or "applied"


async def confirm_transfer(session: AsyncSession, order: Order, staff_id: uuid.UUID,
                           note: str | None) -> None:
    if order.payment_method != "bank_transfer":
        raise Conflict("Questo ordine non è pagato con bonifico bancario.")
    await lifecycle.move(session, order, Status.PAID, Actor.STAFF, actor_id=staff_id,
                         note=note or "Bonifico ricevuto.")
