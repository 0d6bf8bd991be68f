"""An order's life in the database: creating it from a checkout, loading it, recording each move
of the state machine in the status history and announcing it in the same transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import structlog
from sportello.contracts.billing import Billing
from sportello.contracts.events import (
    BankTransferInstructions,
    CartCheckedOut,
    Contact,
    OrderCancelled,
    OrderPaid,
    OrderPaymentFailed,
    OrderPlaced,
    OrderStatusChanged,
    PricedLine,
    ServiceRef,
)
from sportello.contracts.money import Totals, totals
from sportello.errors import NotFound
from sportello.messaging import emit
from sportello.numbering import next_yearly_number
from sportello.settings import Settings
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_orders import domain
from sportello_orders.domain import Actor, Move, Status
from sportello_orders.models import Order, OrderLine, StatusChange

log = structlog.get_logger()


async def next_number(session: AsyncSession, placed_at: datetime) -> str:
    """`SP-2026-000042`, the next of the Rome year. The counter row stays locked until the caller
    commits, so concurrent checkouts take turns and a rolled-back order gives its number back."""
    return await next_yearly_number(session, "orders", "SP", placed_at)


async def create_from_checkout(session: AsyncSession, data: CartCheckedOut,
                               settings: Settings) -> Order | None:
    """The order of a checkout, `awaiting_payment`, announced by `order.placed`.
    None if that order id already exists (the cart published the checkout again)."""
    if await session.get(Order, data.order_id) is not None:
        log.info("checkout_already_ordered", order_id=str(data.order_id))
        return None
    now = datetime.now(UTC)
    sums = totals(data.lines)  # totals are sums of the lines, whatever the sender added up
    if sums != data.totals:
        log.warning("checkout_totals_mismatch", order_id=str(data.order_id),
                    sent=data.totals.model_dump(), lines=sums.model_dump())
    order = Order(
        id=data.order_id,
        number=await next_number(session, now),
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
        billing=data.billing.model_dump(mode="json"),
        placed_at=now,
        updated_at=now,
        lines=[
            OrderLine(
                position=i, line_id=line.line_id, service_slug=line.service.slug,
                service_name=line.service.name, service_version=line.service.version,
                answers=line.answers,
                answer_labels=[a.model_dump(mode="json") for a in line.answer_labels],
                quantity=line.quantity, unit_net_cents=line.unit_net_cents,
                vat_rate_bp=line.vat_rate_bp, net_cents=line.net_cents,
                vat_cents=line.vat_cents, gross_cents=line.gross_cents, quote_id=line.quote_id,
            )
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
        placed_at=now, bank_transfer=bank_transfer(order, settings),
    ))
    log.info("order_placed", order_id=str(order.id), number=order.number)
    return order


async def get_own(session: AsyncSession, order_id: uuid.UUID, customer_id: uuid.UUID,
                  *, lock: bool = False) -> Order:
    """The customer's order; 404 if it does not exist or is someone else's."""
    order = await get(session, order_id, lock=lock)
    if order.customer_id != customer_id:
        raise NotFound("Ordine non trovato.")
    return order


async def get(session: AsyncSession, order_id: uuid.UUID, *, lock: bool = False) -> Order:
    query = select(Order).where(Order.id == order_id)
    if lock:
        # Serialise moves of one order (a webhook and a cancel arriving together).
        query = query.with_for_update().execution_options(populate_existing=True)
    order = (await session.execute(query)).scalar_one_or_none()
    if order is None:
        raise NotFound("Ordine non trovato.")
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
    order.history.append(StatusChange(from_status=m.from_status.value, status=to.value, at=m.at,
                                      actor=actor.value, actor_id=actor_id, note=note))
    who = contact(order)
    if to == Status.PAID:
        await emit(session, "order.paid", paid_event(order))
    elif to == Status.PAYMENT_FAILED:
        await emit(session, "order.payment_failed", OrderPaymentFailed(
            order_id=order.id, number=order.number, customer=who,
            total_gross_cents=order.gross_cents, reason=reason))
    elif to == Status.CANCELLED:
        await emit(session, "order.cancelled", OrderCancelled(
            order_id=order.id, number=order.number, customer=who, reason=reason or note))
    await emit(session, "order.status_changed", OrderStatusChanged(
        order_id=order.id, number=order.number, customer=who, from_status=m.from_status.value,
        status=to.value, note=note, at=m.at))
    log.info("order_status_changed", order_id=str(order.id), number=order.number,
             from_status=m.from_status.value, status=to.value, actor=actor.value)
    return m


def paid_event(order: Order) -> OrderPaid:
    return OrderPaid(
        order_id=order.id, number=order.number, customer=contact(order),
        lines=priced_lines(order), totals=order_totals(order),
        billing=Billing.model_validate(order.billing), payment_method=order.payment_method,
        paid_at=order.paid_at, quote_ids=sorted({line.quote_id for line in order.lines
                                                 if line.quote_id}),
    )


def contact(order: Order) -> Contact:
    return Contact(account_id=order.customer_id, email=order.customer_email,
                   first_name=order.customer_first_name, last_name=order.customer_last_name)


def order_totals(order: Order) -> Totals:
    return Totals(net_cents=order.net_cents, vat_cents=order.vat_cents,
                  gross_cents=order.gross_cents)


def priced_lines(order: Order) -> list[PricedLine]:
    return [
        PricedLine(
            line_id=line.line_id,
            service=ServiceRef(slug=line.service_slug, name=line.service_name,
                               version=line.service_version),
            answers=line.answers, answer_labels=line.answer_labels, quantity=line.quantity,
            unit_net_cents=line.unit_net_cents, vat_rate_bp=line.vat_rate_bp,
            net_cents=line.net_cents, vat_cents=line.vat_cents, gross_cents=line.gross_cents,
            quote_id=line.quote_id,
        )
        for line in order.lines
    ]


def bank_transfer(order: Order, settings: Settings) -> BankTransferInstructions | None:
    if order.payment_method != "bank_transfer":
        return None
    return BankTransferInstructions(iban=settings.bank_iban, beneficiary=settings.bank_beneficiary,
                                    reference=order.number, amount_cents=order.gross_cents)
