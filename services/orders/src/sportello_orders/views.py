"""An order as the customer and as staff see it (the response schemas of schemas.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sportello.contracts.events import priced_snapshot_of
from sportello.contracts.legal import terms_url
from sportello.settings import Settings

from sportello_orders import actions, domain, schemas
from sportello_orders.domain import Status
from sportello_orders.models import Order

PAYMENT_STATUS = {
    Status.AWAITING_PAYMENT: "pending",
    Status.PAYMENT_FAILED: "failed",
    Status.PAID: "paid",
    Status.IN_PROGRESS: "paid",
    Status.COMPLETED: "paid",
    Status.WITHDRAWAL_REQUESTED: "paid",
    Status.REFUNDED: "refunded",
    Status.CANCELLED: "cancelled",
}


def label(status: str) -> str:
    return domain.LABELS[Status(status)]


def summary(order: Order) -> schemas.OrderSummary:
    return schemas.OrderSummary(
        id=order.id, number=order.number, status=order.status, status_label=label(order.status),
        placed_at=order.placed_at, total_gross_cents=order.gross_cents,
        payment_method=order.payment_method,
        can_withdraw=domain.withdrawal_refusal(order, datetime.now(UTC)) is None,
    )


def staff_summary(order: Order) -> schemas.StaffOrderSummary:
    billing = order.billing or {}
    name = billing.get("company_name") or " ".join(
        p for p in (billing.get("first_name"), billing.get("last_name")) if p) or None
    return schemas.StaffOrderSummary(**summary(order).model_dump(), customer_id=order.customer_id,
                                     customer_email=order.customer_email, billing_name=name)


def _common(order: Order, settings: Settings) -> dict:
    status = Status(order.status)
    transfer = actions.bank_transfer(order, settings) if status == Status.AWAITING_PAYMENT else None
    return dict(
        id=order.id, number=order.number, status=order.status, status_label=label(order.status),
        placed_at=order.placed_at, currency=order.currency,
        lines=[
            schemas.LineOut(id=line.line_id, quote_id=line.quote_id, **priced_snapshot_of(line))
            for line in order.lines
        ],
        totals=actions.order_totals(order), total_gross_cents=order.gross_cents,
        billing=order.billing, vat_number_check=order.vat_number_check,
        payment=schemas.PaymentOut(
            method=order.payment_method, status=PAYMENT_STATUS[status], paid_at=order.paid_at,
            bank_transfer=schemas.BankTransferOut(**transfer.model_dump()) if transfer else None,
        ),
        can_pay=domain.may_pay(order.status, order.payment_method),
        can_cancel=domain.can_transition(order.status, Status.CANCELLED),
        invoices=[schemas.InvoiceRef(id=i.invoice_id, number=i.number, type=i.kind,
                                     issued_at=i.issued_at, status=i.status)
                  for i in order.invoices],
        terms=schemas.TermsOut(version=order.terms_version, accepted_at=order.terms_accepted_at,
                               url=terms_url(settings.storefront_url, order.terms_version))
        if order.terms_version else None,
        early_start_consent_at=order.early_start_consent_at,
        withdrawal_until=domain.withdrawal_until(order.billing, order.placed_at),
        can_withdraw=domain.withdrawal_refusal(order, datetime.now(UTC)) is None,
        withdrawal=schemas.WithdrawalOut(requested_at=order.withdrawal_requested_at,
                                         reason=order.withdrawal_reason)
        if order.withdrawal_requested_at else None,
        refund=schemas.RefundOut(amount_cents=order.refund_cents, note=order.refund_note)
        if order.refund_cents is not None else None,
    )


def detail(order: Order, settings: Settings) -> schemas.OrderOut:
    history = [schemas.HistoryEntry(status=h.status, status_label=label(h.status), at=h.at,
                                    note=h.note) for h in order.history]
    return schemas.OrderOut(**_common(order, settings), status_history=history)


def staff_detail(order: Order, settings: Settings) -> schemas.StaffOrderOut:
    history = [schemas.StaffHistoryEntry(status=h.status, status_label=label(h.status), at=h.at,
                                         note=h.note, from_status=h.from_status, actor=h.actor,
                                         actor_id=h.actor_id) for h in order.history]
    return schemas.StaffOrderOut(
        **_common(order, settings), status_history=history, customer_id=order.customer_id,
        customer_email=order.customer_email,
        customer_name=f"{order.customer_first_name} {order.customer_last_name}".strip(),
    )
