"""The request and response shapes of API.md "Orders and payments"."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sportello.contracts.events import PricedSnapshot
from sportello.contracts.money import TaxedTotals
from sportello.contracts.tax import VatNumberCheck
from sportello.contracts.text import FREE_TEXT

from sportello_orders.domain import STAFF_MOVES

StaffTarget = Literal[tuple(s.value for s in STAFF_MOVES)]  # the domain's rule, as the API says it
StatusName = Literal["awaiting_payment", "payment_failed", "paid", "in_progress", "completed",
                     "cancelled", "withdrawal_requested", "refunded"]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PayRequest(Request):
    # Where the provider's page sends the customer back; must be on the shop's own site.
    return_url: str | None = Field(default=None, max_length=2000)


class StaffStatusRequest(Request):
    status: StaffTarget
    note: str | None = Field(default=None, max_length=2000)


class WithdrawRequest(Request):
    reason: Annotated[str, Field(max_length=2000), FREE_TEXT] | None = None


class RefundRequest(Request):
    # None: the whole amount paid. Less only after an early start, with a note.
    amount_cents: int | None = Field(default=None, ge=0)
    note: Annotated[str, Field(max_length=2000), FREE_TEXT] | None = None


class ConfirmTransferRequest(Request):
    note: str | None = Field(default=None, max_length=2000)


class OrderSummary(BaseModel):
    id: uuid.UUID
    number: str
    status: str
    status_label: str
    placed_at: datetime
    total_gross_cents: int
    payment_method: str
    # RECEDI is offered: a consumer's order within the withdrawal period.
    can_withdraw: bool = False


class StaffOrderSummary(OrderSummary):
    customer_id: uuid.UUID
    customer_email: str
    billing_name: str | None = None


class LineOut(PricedSnapshot):
    """The contract's priced line, as the order keeps it."""

    id: uuid.UUID
    quote_id: uuid.UUID | None = None


class BankTransferOut(BaseModel):
    iban: str
    beneficiary: str
    reference: str
    amount_cents: int


class PaymentOut(BaseModel):
    method: str
    status: Literal["pending", "failed", "paid", "refunded", "cancelled"]
    paid_at: datetime | None = None
    bank_transfer: BankTransferOut | None = None


class HistoryEntry(BaseModel):
    status: str
    status_label: str
    at: datetime
    note: str | None = None


class StaffHistoryEntry(HistoryEntry):
    from_status: str | None = None
    actor: str
    actor_id: uuid.UUID | None = None


class InvoiceRef(BaseModel):
    id: uuid.UUID
    number: str
    type: str
    issued_at: datetime
    status: str


class TermsOut(BaseModel):
    version: str
    accepted_at: datetime
    url: str


class WithdrawalOut(BaseModel):
    requested_at: datetime
    reason: str | None = None


class RefundOut(BaseModel):
    amount_cents: int
    note: str | None = None


class OrderOut(BaseModel):
    id: uuid.UUID
    number: str
    status: str
    status_label: str
    placed_at: datetime
    currency: str
    lines: list[LineOut]
    # With the stamp duty (in gross_cents), the VAT summary by rate and Natura and the notes.
    totals: TaxedTotals
    total_gross_cents: int
    billing: dict[str, Any] | None
    # The VIES check of an EU business's VAT number ("not_verified": VIES unreachable).
    vat_number_check: VatNumberCheck | None = None
    payment: PaymentOut
    status_history: list[HistoryEntry]
    can_pay: bool
    can_cancel: bool
    invoices: list[InvoiceRef] = []
    terms: TermsOut | None = None
    early_start_consent_at: datetime | None = None
    # Until when a consumer may withdraw (None for an azienda); can_withdraw: now, from here.
    withdrawal_until: datetime | None = None
    can_withdraw: bool = False
    withdrawal: WithdrawalOut | None = None
    refund: RefundOut | None = None


class StaffOrderOut(OrderOut):
    customer_id: uuid.UUID
    customer_email: str
    customer_name: str
    status_history: list[StaffHistoryEntry]


class Page(BaseModel):
    items: list[Any]
    next_cursor: str | None = None


class CardRedirect(BaseModel):
    redirect_url: str


class DayFigures(BaseModel):
    day: date
    orders: int
    revenue_gross_cents: int
    revenue_net_cents: int


class OrdersReport(BaseModel):
    """The back office's dashboard: orders placed and revenue per day, and what waits for staff."""

    days: list[DayFigures]
    orders: int
    revenue_gross_cents: int
    revenue_net_cents: int
    # transfers_to_confirm, paid_to_start, in_progress, withdrawals
    queues: dict[str, int]
