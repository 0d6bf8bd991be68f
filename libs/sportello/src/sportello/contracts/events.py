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
from sportello.contracts.money import TaxedTotals
from sportello.contracts.tax import Exemption, Treatment, VatNumberCheck

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
    # Counts only for a confirmed address: false at registration, see `account.updated`.
    marketing_consent: bool = False
    # The single-use secret of the link that confirms the address (its hash stays in accounts).
    confirm_token: str | None = None
    confirm_expires_at: datetime | None = None


class AccountUpdated(Payload):
    account_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    phone: str | None = None
    email_confirmed: bool = False
    # What counts: the customer said yes and the address is confirmed.
    marketing_consent: bool = False


class AccountSessionsRevoked(Payload):
    """Sessions (the `sid` of access tokens) that ended: logout, password change, reuse."""

    account_id: uuid.UUID
    session_ids: list[uuid.UUID]


class PasswordChanged(Payload):
    """A security notice to the account's address ("se non sei stato tu…")."""

    account_id: uuid.UUID
    email: str
    first_name: str
    via: Literal["change", "reset"]
    at: datetime


class EmailChangeRequested(Payload):
    """A new address awaits its owner's confirmation; the current one is told."""

    account_id: uuid.UUID
    email: str            # the current address (login and contact until confirmed)
    new_email: str
    first_name: str
    token: str            # single-use secret of the confirmation link (accounts keeps its hash)
    expires_at: datetime


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
    # A VAT exemption of the service (a key of sportello.contracts.tax.EXEMPTIONS), e.g. art10_n20.
    vat_exemption: Exemption | None = None
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


class LineSnapshot(Payload):
    """A line as the customer chose it, copied from cart to quote and order so that later catalog
    edits never change it: the service, the answers with their labels, quantity and VAT rate."""

    service: ServiceRef
    answers: dict[str, Any]
    answer_labels: list[AnswerLabel]
    quantity: int
    vat_rate_bp: int
    vat_exemption: Exemption | None = None


class PricedSnapshot(LineSnapshot):
    """A line with its price: what an order or an issued quote keeps."""

    unit_net_cents: int
    net_cents: int
    vat_cents: int
    gross_cents: int
    # The tax treatment for the customer who bought it (a quote's line: the Italian consumer's).
    treatment: Treatment | None = None


class MaybePricedSnapshot(LineSnapshot):
    """A line that may not have a price yet (a quote request before staff price it)."""

    unit_net_cents: int | None = None
    net_cents: int | None = None
    vat_cents: int | None = None
    gross_cents: int | None = None


class PricedLine(PricedSnapshot):
    """A bought line as it will stay on the order: answers, labels, prices and VAT."""

    line_id: uuid.UUID
    quote_id: uuid.UUID | None = None


def snapshot_of(row: Any) -> dict[str, Any]:
    """The snapshot fields of a row that keeps them as columns (`service_slug`, … `vat_rate_bp`)."""
    return {
        "service": {"slug": row.service_slug, "name": row.service_name,
                    "version": row.service_version},
        "answers": row.answers, "answer_labels": row.answer_labels, "quantity": row.quantity,
        "vat_rate_bp": row.vat_rate_bp, "vat_exemption": getattr(row, "vat_exemption", None),
    }


def priced_snapshot_of(row: Any) -> dict[str, Any]:
    return {**snapshot_of(row), "unit_net_cents": row.unit_net_cents, "net_cents": row.net_cents,
            "vat_cents": row.vat_cents, "gross_cents": row.gross_cents,
            "treatment": getattr(row, "treatment", None)}


def snapshot_columns(line: LineSnapshot) -> dict[str, Any]:
    """The columns a row keeps of a snapshot (the inverse of `snapshot_of`)."""
    return {
        "service_slug": line.service.slug, "service_name": line.service.name,
        "service_version": line.service.version, "answers": line.answers,
        "answer_labels": [a.model_dump(mode="json") for a in line.answer_labels],
        "quantity": line.quantity, "vat_rate_bp": line.vat_rate_bp,
        "vat_exemption": line.vat_exemption,
    }


def priced_snapshot_columns(line: PricedSnapshot) -> dict[str, Any]:
    """The columns of a bought line, with its treatment (orders keeps them)."""
    return {**snapshot_columns(line), "unit_net_cents": line.unit_net_cents,
            "net_cents": line.net_cents, "vat_cents": line.vat_cents,
            "gross_cents": line.gross_cents,
            "treatment": line.treatment.model_dump() if line.treatment else None}


class TermsAcceptance(Payload):
    """Which conditions of sale the customer accepted at checkout, and when."""

    version: str
    accepted_at: datetime


class CartCheckedOut(Payload):
    order_id: uuid.UUID
    customer: Contact
    lines: list[PricedLine]
    totals: TaxedTotals
    billing: Billing
    payment_method: PaymentMethod
    currency: Literal["EUR"] = "EUR"
    # The VIES check of an EU business's VAT number: "not_verified" where VIES is unreachable.
    vat_number_check: VatNumberCheck | None = None
    terms: TermsAcceptance | None = None
    # A privato asked for the service to start within the withdrawal period (art. 51 c. 8).
    early_start_consent_at: datetime | None = None


class QuoteRequestLine(LineSnapshot):
    line_id: uuid.UUID
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


class QuotedLine(PricedSnapshot):
    line_id: uuid.UUID


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
    # By the shared tax rule: the VAT summary, the notes, the stamp duty (in gross_cents).
    totals: TaxedTotals
    valid_until: date
    note: str | None = None
    # The billing data the lines were taxed for, when staff gave them (else an Italian consumer).
    billing: Billing | None = None


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
    # Who wrote it (staff: which member), so documents can tell the author's own files.
    author_id: uuid.UUID | None = None


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


class OrderSnapshot(Payload):
    """The order as its readers need it whole: lines, totals, billing, how it is paid."""

    order_id: uuid.UUID
    number: str
    customer: Contact
    lines: list[PricedLine]
    totals: TaxedTotals
    billing: Billing
    payment_method: PaymentMethod
    vat_number_check: VatNumberCheck | None = None


class OrderPlaced(OrderSnapshot):
    placed_at: datetime
    bank_transfer: BankTransferInstructions | None = None
    terms: TermsAcceptance | None = None
    early_start_consent_at: datetime | None = None
    # Until when a consumer may withdraw; None for an azienda (no right of withdrawal).
    withdrawal_until: datetime | None = None


class OrderPaid(OrderSnapshot):
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
    # On `refunded`: what was given back (the whole total, or less after an early start).
    refund_cents: int | None = None


class OrderWithdrawalRequested(Payload):
    """A consumer withdrew from the order (Codice del Consumo art. 54): staff must refund."""

    order_id: uuid.UUID
    number: str
    customer: Contact
    reason: str | None = None
    requested_at: datetime
    early_start_consent_at: datetime | None = None
    total_gross_cents: int


class OrderPaymentNeedsStaff(Payload):
    """Money the provider reports that the order cannot take as it is: a success whose amount is
    missing or differs (order left unpaid), or a payment for an order already paid or cancelled
    (charged twice: staff refund it at the provider)."""

    order_id: uuid.UUID
    number: str
    customer: Contact
    reason: str  # "amount_mismatch" | "order_not_payable"
    order_status: str
    provider: str
    provider_session_id: str | None = None
    amount_cents: int | None = None
    expected_cents: int


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


class SdiError(Payload):
    code: str
    description: str


class InvoiceSdiOutcome(Payload):
    """What the Sistema di Interscambio answered for an invoice: delivered (RC), rejected (NS,
    with its error codes) or not delivered (MC: the invoice stands, the customer gets a copy)."""

    invoice_id: uuid.UUID
    order_id: uuid.UUID
    order_number: str
    number: str
    kind: Literal["TD01", "TD04"]
    status: Literal["delivered", "rejected", "not_delivered"]
    at: datetime
    customer: Contact
    errors: list[SdiError] = []


# --- documents ------------------------------------------------------------------------------


class DocumentDelivered(Payload):
    """Staff delivered a file (the translation, the filing's receipt) on an order or a quote."""

    document_id: uuid.UUID
    name: str
    content_type: str
    size_bytes: int
    order_id: uuid.UUID | None = None
    quote_id: uuid.UUID | None = None
    # The order's or the quote's number, as the customer reads it.
    number: str
    customer: Contact
    note: str | None = None
    at: datetime


EVENTS: dict[str, type[Payload]] = {
    "account.registered": AccountRegistered,
    "account.updated": AccountUpdated,
    "account.deleted": AccountDeleted,
    "account.password_reset_requested": PasswordResetRequested,
    "account.sessions_revoked": AccountSessionsRevoked,
    "account.password_changed": PasswordChanged,
    "account.email_change_requested": EmailChangeRequested,
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
    "order.withdrawal_requested": OrderWithdrawalRequested,
    "invoice.issued": InvoiceIssued,
    "invoice.delivered": InvoiceSdiOutcome,
    "invoice.rejected": InvoiceSdiOutcome,
    "invoice.not_delivered": InvoiceSdiOutcome,
    "order.payment_needs_staff": OrderPaymentNeedsStaff,
    "document.delivered": DocumentDelivered,
}
