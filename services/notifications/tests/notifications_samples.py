"""Realistic events of the customer journey, for the template tests and the benchmark."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sportello.contracts.billing import Address, Billing
from sportello.contracts.events import (
    AccountDeleted,
    AccountRegistered,
    BankTransferInstructions,
    Contact,
    DocumentDelivered,
    EmailChangeRequested,
    InvoiceIssued,
    InvoiceSdiOutcome,
    OrderCancelled,
    OrderPaid,
    OrderPaymentFailed,
    OrderPaymentNeedsStaff,
    OrderPlaced,
    OrderStatusChanged,
    OrderWithdrawalRequested,
    PasswordChanged,
    PasswordResetRequested,
    PricedLine,
    QuoteChangesRequested,
    QuotedLine,
    QuoteExpired,
    QuoteExpiring,
    QuoteIssued,
    QuoteMessagePosted,
    QuotePricingOverdue,
    QuoteRejected,
    QuoteRequested,
    QuoteRequestLine,
    SdiError,
    ServiceRef,
    TermsAcceptance,
)
from sportello.contracts.forms import AnswerLabel
from sportello.contracts.legal import TERMS_VERSION, withdrawal_deadline
from sportello.contracts.money import line_amounts, totals

PLACED_AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def customer(email: str | None = None) -> Contact:
    account_id = uuid.uuid4()
    return Contact(account_id=account_id, email=email or f"mario.rossi+{account_id.hex[:8]}@example.it",
                   first_name="Mario", last_name="Rossi")


def billing(who: Contact) -> Billing:
    return Billing(
        customer_type="privato", first_name=who.first_name, last_name=who.last_name,
        tax_code="RSSMRA80A01H501U",
        address=Address(street="Via Roma 1", postal_code="20121", city="Milano", province="MI",
                        country="IT"),
        email=who.email, phone="+39 02 1234567",
    )


def priced_lines() -> list[PricedLine]:
    """A translation (1.012,30 € net, 22%) and a company registration (250,00 € net, 22%)."""
    first = line_amounts(101_230, 1, 2200)
    second = line_amounts(12_500, 2, 2200)
    return [
        PricedLine(line_id=uuid.uuid4(), service=ServiceRef(slug="traduzione-giurata",
                   name="Traduzione giurata", version=3),
                   answers={"pages": 12, "language": "en"},
                   answer_labels=[AnswerLabel(label="Numero di pagine", value="12"),
                                  AnswerLabel(label="Lingua", value="Inglese")],
                   **first.model_dump()),
        PricedLine(line_id=uuid.uuid4(), service=ServiceRef(slug="visura-camerale",
                   name="Visura camerale", version=1),
                   answers={"company": "Bianchi S.r.l."},
                   answer_labels=[AnswerLabel(label="Ragione sociale", value="Bianchi S.r.l.")],
                   **second.model_dump()),
    ]


def account_registered(who: Contact | None = None) -> AccountRegistered:
    who = who or customer()
    return AccountRegistered(account_id=who.account_id, email=who.email,
                             first_name=who.first_name, last_name=who.last_name,
                             confirm_token="conf_Zz9+/k=", confirm_expires_at=PLACED_AT
                             + timedelta(hours=48))


def password_changed(who: Contact | None = None, via: str = "change") -> PasswordChanged:
    who = who or customer()
    return PasswordChanged(account_id=who.account_id, email=who.email, first_name=who.first_name,
                           via=via, at=PLACED_AT)


def email_change_requested(who: Contact | None = None,
                           new_email: str | None = None) -> EmailChangeRequested:
    who = who or customer()
    return EmailChangeRequested(
        account_id=who.account_id, email=who.email,
        new_email=new_email or f"nuova.{uuid.uuid4().hex[:8]}@example.it",
        first_name=who.first_name, token="chg_Q1+/w=", expires_at=PLACED_AT + timedelta(hours=48))


def password_reset_requested(who: Contact | None = None) -> PasswordResetRequested:
    who = who or customer()
    return PasswordResetRequested(account_id=who.account_id, email=who.email,
                                  first_name=who.first_name, token="tok_Ab3+/x=yz",
                                  expires_at=PLACED_AT + timedelta(hours=1))


def account_deleted(who: Contact) -> AccountDeleted:
    return AccountDeleted(account_id=who.account_id)


def order_placed(who: Contact | None = None, bank_transfer: bool = False) -> OrderPlaced:
    who = who or customer()
    lines = priced_lines()
    t = totals(lines)
    number = f"SP-2026-{uuid.uuid4().int % 1_000_000:06d}"
    return OrderPlaced(
        order_id=uuid.uuid4(), number=number, customer=who, lines=lines, totals=t,
        billing=billing(who), payment_method="bank_transfer" if bank_transfer else "card",
        placed_at=PLACED_AT,
        terms=TermsAcceptance(version=TERMS_VERSION, accepted_at=PLACED_AT),
        withdrawal_until=withdrawal_deadline(PLACED_AT),
        bank_transfer=BankTransferInstructions(
            iban="IT60X0542811101000000123456", beneficiary="Sportello Servizi S.r.l.",
            reference=f"Ordine {number}", amount_cents=t.gross_cents) if bank_transfer else None,
    )


def order_paid(placed: OrderPlaced | None = None) -> OrderPaid:
    placed = placed or order_placed()
    return OrderPaid(**placed.model_dump(exclude={"placed_at", "bank_transfer"}),
                     paid_at=PLACED_AT + timedelta(minutes=5))


def order_payment_failed(placed: OrderPlaced | None = None) -> OrderPaymentFailed:
    placed = placed or order_placed()
    return OrderPaymentFailed(order_id=placed.order_id, number=placed.number,
                              customer=placed.customer, total_gross_cents=placed.totals.gross_cents,
                              reason="Carta rifiutata dalla banca emittente")


def order_status_changed(placed: OrderPlaced | None = None, status: str = "completed",
                         note: str | None = "Traduzione consegnata via PEC.") -> OrderStatusChanged:
    placed = placed or order_placed()
    return OrderStatusChanged(order_id=placed.order_id, number=placed.number,
                              customer=placed.customer, from_status="in_progress", status=status,
                              note=note, at=PLACED_AT + timedelta(days=2))


def order_withdrawal_requested(placed: OrderPlaced | None = None,
                               early_start: bool = False) -> OrderWithdrawalRequested:
    placed = placed or order_placed()
    return OrderWithdrawalRequested(
        order_id=placed.order_id, number=placed.number, customer=placed.customer,
        reason="Ho trovato un altro fornitore.", requested_at=PLACED_AT + timedelta(days=3),
        early_start_consent_at=PLACED_AT if early_start else None,
        total_gross_cents=placed.totals.gross_cents)


def order_cancelled(placed: OrderPlaced | None = None) -> OrderCancelled:
    placed = placed or order_placed()
    return OrderCancelled(order_id=placed.order_id, number=placed.number,
                          customer=placed.customer, reason="Annullato su richiesta del cliente")


def quote_requested(who: Contact | None = None) -> QuoteRequested:
    who = who or customer()
    return QuoteRequested(
        quote_id=uuid.uuid4(), number=f"PR-2026-{uuid.uuid4().int % 1_000_000:06d}", customer=who,
        lines=[QuoteRequestLine(
            line_id=uuid.uuid4(), service=ServiceRef(slug="consulenza-fiscale",
                                                     name="Consulenza fiscale", version=2),
            vat_rate_bp=2200, answers={"topic": "Regime forfettario", "hours": 3},
            answer_labels=[AnswerLabel(label="Argomento", value="Regime forfettario"),
                           AnswerLabel(label="Ore stimate", value="3")])],
        message="Vorrei un incontro entro fine mese.",
        budget_cents=150_000, wanted_by=date(2026, 12, 18),
    )


def quote_issued(requested: QuoteRequested | None = None) -> QuoteIssued:
    requested = requested or quote_requested()
    lines = []
    for r in requested.lines:
        amounts = line_amounts(41_150, r.quantity, r.vat_rate_bp)  # 411,50 € net
        lines.append(QuotedLine(line_id=r.line_id, service=r.service, answers=r.answers,
                                answer_labels=r.answer_labels, **amounts.model_dump()))
    return QuoteIssued(quote_id=requested.quote_id, number=requested.number, revision=1,
                       customer=requested.customer, lines=lines, totals=totals(lines),
                       valid_until=date(2026, 12, 24), note="Include due incontri in studio.")


def quote_rejected(requested: QuoteRequested | None = None) -> QuoteRejected:
    requested = requested or quote_requested()
    return QuoteRejected(quote_id=requested.quote_id, number=requested.number,
                         customer=requested.customer,
                         reason="Il servizio richiesto non è disponibile nella tua provincia.")


def quote_expired(requested: QuoteRequested | None = None) -> QuoteExpired:
    requested = requested or quote_requested()
    return QuoteExpired(quote_id=requested.quote_id, number=requested.number,
                        customer=requested.customer, valid_until=date(2026, 12, 24))


def quote_message_posted(author: str = "staff",
                         requested: QuoteRequested | None = None) -> QuoteMessagePosted:
    requested = requested or quote_requested()
    body = ("Possiamo fissare il primo incontro giovedì alle 10?" if author == "staff"
            else "Giovedì va benissimo, grazie.")
    return QuoteMessagePosted(quote_id=requested.quote_id, number=requested.number,
                              customer=requested.customer, message_id=uuid.uuid4(),
                              author=author, body=body)


def quote_changes_requested(requested: QuoteRequested | None = None) -> QuoteChangesRequested:
    requested = requested or quote_requested()
    return QuoteChangesRequested(quote_id=requested.quote_id, number=requested.number,
                                 customer=requested.customer, revision=1,
                                 message="Potete togliere il secondo incontro?")


def quote_expiring(issued: QuoteIssued | None = None) -> QuoteExpiring:
    issued = issued or quote_issued()
    return QuoteExpiring(quote_id=issued.quote_id, number=issued.number, customer=issued.customer,
                         valid_until=issued.valid_until, total_gross_cents=issued.totals.gross_cents)


def quote_pricing_overdue(requested: QuoteRequested | None = None) -> QuotePricingOverdue:
    requested = requested or quote_requested()
    return QuotePricingOverdue(quote_id=requested.quote_id, number=requested.number,
                               customer=requested.customer, requested_at=PLACED_AT)


def invoice_issued(paid: OrderPaid | None = None, kind: str = "TD01") -> InvoiceIssued:
    paid = paid or order_paid()
    return InvoiceIssued(invoice_id=uuid.uuid4(), order_id=paid.order_id, order_number=paid.number,
                         number="FT-2026-000042", kind=kind, issued_at=PLACED_AT,
                         customer=paid.customer, total_cents=paid.totals.gross_cents)


def order_payment_needs_staff(placed: OrderPlaced | None = None,
                              amount_cents: int | None = None) -> OrderPaymentNeedsStaff:
    placed = placed or order_placed()
    return OrderPaymentNeedsStaff(
        order_id=placed.order_id, number=placed.number, customer=placed.customer,
        reason="amount_mismatch", order_status="awaiting_payment", provider="sandbox",
        provider_session_id="cs_test_1", amount_cents=amount_cents,
        expected_cents=placed.totals.gross_cents)


def invoice_rejected(paid: OrderPaid | None = None) -> InvoiceSdiOutcome:
    issued = invoice_issued(paid)
    return InvoiceSdiOutcome(
        invoice_id=issued.invoice_id, order_id=issued.order_id, order_number=issued.order_number,
        number=issued.number, kind="TD01", status="rejected", at=issued.issued_at,
        customer=issued.customer,
        errors=[SdiError(code="00305", description="IdFiscaleIVA del cessionario non valido")])


def document_delivered(placed: OrderPlaced | None = None, on_quote: bool = False) -> DocumentDelivered:
    placed = placed or order_placed()
    where = {"quote_id": uuid.uuid4()} if on_quote else {"order_id": placed.order_id}
    return DocumentDelivered(document_id=uuid.uuid4(), name="traduzione-giurata.pdf",
                             content_type="application/pdf", size_bytes=182_000,
                             number=placed.number, customer=placed.customer,
                             note="La traduzione asseverata, con il verbale del tribunale.",
                             at=PLACED_AT, **where)
