"""Every event payload of ARCHITECTURE.md, one pydantic model each; `EVENTS` maps type → model.

Producer and consumer import the same model. Consumers ignore fields they do not know; a change
that breaks a payload gets a new envelope `version`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from sportello.contracts.billing import Billing
from sportello.contracts.forms import AnswerLabel, FormDefinition
from sportello.contracts.money import Totals

PaymentMethod = Literal["card", "bank_transfer"]


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Contact(Payload):
    """Who the customer is, as the services that never read accounts' database need to know."""

    account_id: uuid.UUID
    email: str
    first_name: str
    last_name: str


# --- accounts -------------------------------------------------------------------------------


class AccountRegistered(Payload):
    account_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    marketing_consent: bool = False


class AccountUpdated(Payload):
    account_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    phone: str | None = None


class AccountDeleted(Payload):
    account_id: uuid.UUID


class PasswordResetRequested(Payload):
    account_id: uuid.UUID
    email: str
    first_name: str
    # The single-use secret of the link; only its hash is stored by accounts.
    token: str
    expires_at: datetime


# --- catalog --------------------------------------------------------------------------------


class CategoryRef(Payload):
    slug: str
    name: str


class ServiceSnapshot(Payload):
    """A service as published: everything the cart needs to validate answers and price lines."""

    slug: str
    name: str
    short_description: str = ""
    description: str = ""
    category: CategoryRef
    pricing_mode: Literal["fixed", "quote"]
    base_net_cents: int | None = None
    vat_rate_bp: int
    form: FormDefinition
    # A fixed-price service may also be asked for a quote when the catalog allows it.
    quote_allowed: bool = False
    active: bool = True
    version: int


class ServicePublished(Payload):
    service: ServiceSnapshot


class ServiceRetired(Payload):
    slug: str
    version: int


# --- cart -----------------------------------------------------------------------------------


class ServiceRef(Payload):
    slug: str
    name: str
    version: int


class PricedLine(Payload):
    """A bought line as it will stay on the order: answers, labels, prices and VAT."""

    line_id: uuid.UUID
    service: ServiceRef
    answers: dict[str, Any]
    answer_labels: list[AnswerLabel]
    quantity: int
    unit_net_cents: int
    vat_rate_bp: int
    net_cents: int
    vat_cents: int
    gross_cents: int
    quote_id: uuid.UUID | None = None


class CartCheckedOut(Payload):
    order_id: uuid.UUID
    customer: Contact
    lines: list[PricedLine]
    totals: Totals
    billing: Billing
    payment_method: PaymentMethod
    currency: Literal["EUR"] = "EUR"


class QuoteRequestLine(Payload):
    line_id: uuid.UUID
    service: ServiceRef
    vat_rate_bp: int
    answers: dict[str, Any]
    answer_labels: list[AnswerLabel]
    quantity: int = 1


class QuoteCartSubmitted(Payload):
    quote_id: uuid.UUID
    customer: Contact
    lines: list[QuoteRequestLine]
    message: str | None = None
    # The customer's indicative budget and the date they would like the work by.
    budget_cents: int | None = None
    wanted_by: date | None = None


# --- quotes ---------------------------------------------------------------------------------


class QuotedLine(Payload):
    line_id: uuid.UUID
    service: ServiceRef
    answers: dict[str, Any]
    answer_labels: list[AnswerLabel]
    quantity: int
    unit_net_cents: int
    vat_rate_bp: int
    net_cents: int
    vat_cents: int
    gross_cents: int


class QuoteRequested(Payload):
    quote_id: uuid.UUID
    number: str
    customer: Contact
    lines: list[QuoteRequestLine]
    message: str | None = None
    budget_cents: int | None = None
    wanted_by: date | None = None


class QuoteIssued(Payload):
    quote_id: uuid.UUID
    number: str
    revision: int
    customer: Contact
    lines: list[QuotedLine]
    totals: Totals
    valid_until: date
    note: str | None = None


class QuoteAccepted(Payload):
    quote_id: uuid.UUID
    number: str
    customer: Contact
    lines: list[QuotedLine]


class QuoteDeclined(Payload):
    quote_id: uuid.UUID
    number: str
    customer: Contact
    reason: str | None = None


class QuoteRejected(Payload):
    quote_id: uuid.UUID
    number: str
    customer: Contact
    reason: str


class QuoteExpired(Payload):
    quote_id: uuid.UUID
    number: str
    customer: Contact
    valid_until: date


class QuoteMessagePosted(Payload):
    """A message in a quote's conversation; the other side is told."""

    quote_id: uuid.UUID
    number: str
    customer: Contact
    message_id: uuid.UUID
    author: Literal["customer", "staff"]
    body: str
    document_ids: list[uuid.UUID] = []


class QuoteChangesRequested(Payload):
    quote_id: uuid.UUID
    number: str
    customer: Contact
    revision: int
    message: str


class QuoteExpiring(Payload):
    """A quoted quote is close to its last valid day and not yet accepted (one reminder)."""

    quote_id: uuid.UUID
    number: str
    customer: Contact
    valid_until: date
    total_gross_cents: int


class QuotePricingOverdue(Payload):
    """A request has waited unpriced longer than the business allows (one reminder to staff)."""

    quote_id: uuid.UUID
    number: str
    customer: Contact
    requested_at: datetime


# --- orders ---------------------------------------------------------------------------------


class BankTransferInstructions(Payload):
    iban: str
    beneficiary: str
    reference: str
    amount_cents: int


class OrderPlaced(Payload):
    order_id: uuid.UUID
    number: str
    customer: Contact
    lines: list[PricedLine]
    totals: Totals
    billing: Billing
    payment_method: PaymentMethod
    placed_at: datetime
    bank_transfer: BankTransferInstructions | None = None


class OrderPaid(Payload):
    order_id: uuid.UUID
    number: str
    customer: Contact
    lines: list[PricedLine]
    totals: Totals
    billing: Billing
    payment_method: PaymentMethod
    paid_at: datetime
    quote_ids: list[uuid.UUID] = []


class OrderPaymentFailed(Payload):
    order_id: uuid.UUID
    number: str
    customer: Contact
    total_gross_cents: int
    reason: str | None = None


class OrderStatusChanged(Payload):
    order_id: uuid.UUID
    number: str
    customer: Contact
    from_status: str
    status: str
    note: str | None = None
    at: datetime


class OrderCancelled(Payload):
    order_id: uuid.UUID
    number: str
    customer: Contact
    reason: str | None = None


# --- invoicing ------------------------------------------------------------------------------


class InvoiceIssued(Payload):
    """An invoice (TD01) or credit note (TD04) was issued for an order."""

    invoice_id: uuid.UUID
    order_id: uuid.UUID
    order_number: str
    number: str
    kind: Literal["TD01", "TD04"]
    issued_at: datetime
    customer: Contact
    total_cents: int


EVENTS: dict[str, type[Payload]] = {
    "account.registered": AccountRegistered,
    "account.updated": AccountUpdated,
    "account.deleted": AccountDeleted,
    "account.password_reset_requested": PasswordResetRequested,
    "catalog.service.published": ServicePublished,
    "catalog.service.retired": ServiceRetired,
    "cart.checked_out": CartCheckedOut,
    "quote_cart.submitted": QuoteCartSubmitted,
    "quote.requested": QuoteRequested,
    "quote.issued": QuoteIssued,
    "quote.accepted": QuoteAccepted,
    "quote.declined": QuoteDeclined,
    "quote.rejected": QuoteRejected,
    "quote.expired": QuoteExpired,
    "quote.message_posted": QuoteMessagePosted,
    "quote.changes_requested": QuoteChangesRequested,
    "quote.expiring": QuoteExpiring,
    "quote.pricing_overdue": QuotePricingOverdue,
    "order.placed": OrderPlaced,
    "order.paid": OrderPaid,
    "order.payment_failed": OrderPaymentFailed,
    "order.status_changed": OrderStatusChanged,
    "order.cancelled": OrderCancelled,
    "invoice.issued": InvoiceIssued,
}
