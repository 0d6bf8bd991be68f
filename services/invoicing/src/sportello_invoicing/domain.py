"""The rules of an invoice, no I/O: its lines and their tax treatment, the VAT summary by rate
and Natura, the stamp duty, the payment method, and the credit note that cancels it.

Built from what `order.paid` carries (the order's lines and billing snapshot), so an invoice
never depends on a later edit of the catalog or of the customer's profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sportello.contracts.billing import Billing
from sportello.contracts.money import vat_cents
from sportello.contracts.tax import (
    STAMP_DUTY_CENTS,
    Treatment,
    line_treatment,
    stamp_duty_due,
)
from sportello.errors import Conflict

INVOICE = "TD01"
CREDIT_NOTE = "TD04"
# FatturaPA ModalitaPagamento: MP08 carta di pagamento, MP05 bonifico.
PAYMENT_MODE = {"card": "MP08", "bank_transfer": "MP05"}
# The stamp duty charged to the customer is excluded from the VAT base (art. 15 n. 3 DPR 633/72).
STAMP_DUTY_LINE = "Rimborso imposta di bollo"
STAMP_DUTY_NATURE = "N1"
STAMP_DUTY_LINE_NOTE = "Escluso art. 15 DPR 633/72"


@dataclass(frozen=True)
class Seller:
    """Cedente/Prestatore, from settings."""

    name: str
    vat_number: str
    tax_code: str
    regime: str  # RF01 ordinario
    street: str
    postal_code: str
    city: str
    province: str
    rea_office: str
    rea_number: str
    email: str
    phone: str | None = None
    iban: str | None = None


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_net_cents: int
    net_cents: int
    vat_cents: int
    treatment: Treatment


@dataclass(frozen=True)
class Summary:
    """One DatiRiepilogo: the lines of one rate and Natura."""

    vat_rate_bp: int
    vat_nature: str | None
    taxable_cents: int
    vat_cents: int
    note: str | None


@dataclass
class Document:
    kind: str                # TD01 or TD04
    number: str
    issued_on: date
    seller: Seller
    buyer: Billing
    lines: list[Line]
    payment_method: str
    stamp_duty_charged: bool
    related_number: str | None = None   # a credit note's invoice
    related_date: date | None = None
    causale: list[str] = field(default_factory=list)

    @property
    def stamp_duty_due(self) -> bool:
        return stamp_duty_due([(ln.net_cents, ln.treatment) for ln in self.lines
                               if ln.description != STAMP_DUTY_LINE])

    @property
    def summaries(self) -> list[Summary]:
        groups: dict[tuple[int, str | None], list[Line]] = {}
        for line in self.lines:
            groups.setdefault((line.treatment.vat_rate_bp, line.treatment.vat_nature), []).append(line)
        return [Summary(vat_rate_bp=rate, vat_nature=nature,
                        taxable_cents=sum(ln.net_cents for ln in lines),
                        vat_cents=sum(ln.vat_cents for ln in lines),
                        note=lines[0].treatment.vat_note)
                for (rate, nature), lines in groups.items()]

    @property
    def net_cents(self) -> int:
        return sum(line.net_cents for line in self.lines)

    @property
    def vat_cents(self) -> int:
        return sum(line.vat_cents for line in self.lines)

    @property
    def total_cents(self) -> int:
        return self.net_cents + self.vat_cents

    @property
    def reverse_charge(self) -> bool:
        return any(line.treatment.reverse_charge for line in self.lines)


def invoice_lines(order_lines: list[dict], billing: Billing, stamp_duty_charged: bool) -> list[Line]:
    """The order's lines under the customer's treatment, and the stamp duty as its own line when
    it is due and charged to the customer."""
    lines = []
    for ol in order_lines:
        t = line_treatment(ol["vat_rate_bp"], ol.get("vat_exemption"), billing)
        net = ol["unit_net_cents"] * ol["quantity"]
        lines.append(Line(description=describe(ol), quantity=ol["quantity"],
                          unit_net_cents=ol["unit_net_cents"], net_cents=net,
                          vat_cents=vat_cents(net, t.vat_rate_bp), treatment=t))
    if stamp_duty_charged and stamp_duty_due([(ln.net_cents, ln.treatment) for ln in lines]):
        lines.append(Line(description=STAMP_DUTY_LINE, quantity=1, unit_net_cents=STAMP_DUTY_CENTS,
                          net_cents=STAMP_DUTY_CENTS, vat_cents=0,
                          treatment=Treatment(vat_rate_bp=0, vat_nature=STAMP_DUTY_NATURE,
                                              vat_note=STAMP_DUTY_LINE_NOTE)))
    return lines


def describe(order_line: dict) -> str:
    """The service's name and a short summary of the answers (FatturaPA allows 1,000 chars)."""
    name = order_line["service"]["name"]
    answers = "; ".join(f"{a['label']}: {a['value']}" for a in order_line.get("answer_labels", []))
    text = f"{name} — {answers}" if answers else name
    return text if len(text) <= 1000 else text[:997] + "..."


def credit_note_of(invoice: Document, number: str, issued_on: date) -> Document:
    """A TD04 for the whole invoice (a full refund), referring to it."""
    return Document(kind=CREDIT_NOTE, number=number, issued_on=issued_on, seller=invoice.seller,
                    buyer=invoice.buyer, lines=list(invoice.lines),
                    payment_method=invoice.payment_method,
                    stamp_duty_charged=invoice.stamp_duty_charged,
                    related_number=invoice.number, related_date=invoice.issued_on,
                    causale=[f"Storno totale della fattura n. {invoice.number} del "
                             f"{invoice.issued_on:%d/%m/%Y}"])


# --- sending to SDI -------------------------------------------------------------------------


class Status(StrEnum):
    ISSUED = "issued"
    SENT = "sent"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    NOT_DELIVERED = "not_delivered"


# An invoice is sent once issued; SDI answers delivered, rejected or not delivered; a rejected
# one (not issued for the law) is corrected and sent again with its number and date.
TRANSITIONS: dict[Status, set[Status]] = {
    Status.ISSUED: {Status.SENT},
    Status.SENT: {Status.DELIVERED, Status.REJECTED, Status.NOT_DELIVERED},
    Status.REJECTED: {Status.SENT},
    Status.DELIVERED: set(),
    # MC: the invoice is issued and in the buyer's cassetto fiscale; the courtesy copy stands.
    Status.NOT_DELIVERED: set(),
}
# The receipt of SDI → the invoice's state, and the event that announces it.
RECEIPT_STATUS = {"RC": Status.DELIVERED, "NS": Status.REJECTED, "MC": Status.NOT_DELIVERED}
STATUS_EVENT = {Status.DELIVERED: "invoice.delivered", Status.REJECTED: "invoice.rejected",
                Status.NOT_DELIVERED: "invoice.not_delivered"}
LABELS = {Status.ISSUED: "emessa", Status.SENT: "inviata allo SDI", Status.DELIVERED: "consegnata",
          Status.REJECTED: "scartata dallo SDI", Status.NOT_DELIVERED: "non consegnata"}


def transition(current: str, to: Status) -> Status:
    """The next state if the table allows it; Conflict (409) otherwise."""
    if to not in TRANSITIONS[Status(current)]:
        raise Conflict(f"La fattura è {LABELS[Status(current)]}: non può diventare "
                       f"{LABELS[to]}.", extra={"invoice_status": current})
    return to


def progressive(number: str, attempt: int = 1) -> str:
    """ProgressivoInvio (at most 10 alphanumerics), unique per file: a file sent again after a
    rejection needs a new name (SDI refuses a duplicate file name, error 00002)."""
    year, seq = number.split("-")[-2:]
    if attempt <= 1:
        return f"{year}{seq}"[-10:]
    return f"{year[-2:]}{seq}{attempt:02d}"[-10:]
PARTIAL_REFUND_LINE = "Rimborso parziale per recesso (art. 57 c. 3 Codice del Consumo)"


def net_of_gross(gross_cents: int, vat_rate_bp: int) -> int:
    """The largest net whose VAT (half-up) keeps net + VAT within `gross_cents`."""
    net = gross_cents * 10_000 // (10_000 + vat_rate_bp) + 1
    while net > 0 and net + vat_cents(net, vat_rate_bp) > gross_cents:
        net -= 1
    return net


def partial_credit_note_of(invoice: Document, refund_cents: int, number: str,
                           issued_on: date) -> Document:
    """A TD04 for part of an invoice (a withdrawal after an early start, art. 57 c. 3 Codice del
    Consumo): the refund spread over the invoice's rates in proportion to their gross; the
    stamp duty is not given back."""
    groups: dict[tuple[int, str | None], list[Line]] = {}
    for line in invoice.lines:
        if line.description != STAMP_DUTY_LINE:
            groups.setdefault((line.treatment.vat_rate_bp, line.treatment.vat_nature),
                              []).append(line)
    gross = {key: sum(ln.net_cents + ln.vat_cents for ln in lines) for key, lines in groups.items()}
    total = sum(gross.values())
    lines, left = [], refund_cents
    for i, (key, group) in enumerate(groups.items()):
        share = left if i == len(groups) - 1 else refund_cents * gross[key] // total
        left -= share
        treatment = group[0].treatment
        net = net_of_gross(share, treatment.vat_rate_bp)
        # Not every gross has a net at this rate: the cent left over is a line of its own.
        rest = share - net - vat_cents(net, treatment.vat_rate_bp)
        for amount in (net, rest) if rest else (net,):
            lines.append(Line(description=PARTIAL_REFUND_LINE, quantity=1,
                              unit_net_cents=amount, net_cents=amount,
                              vat_cents=vat_cents(amount, treatment.vat_rate_bp),
                              treatment=treatment))
    return Document(kind=CREDIT_NOTE, number=number, issued_on=issued_on, seller=invoice.seller,
                    buyer=invoice.buyer, lines=lines, payment_method=invoice.payment_method,
                    stamp_duty_charged=False, related_number=invoice.number,
                    related_date=invoice.issued_on,
                    causale=[f"Storno parziale della fattura n. {invoice.number} del "
                             f"{invoice.issued_on:%d/%m/%Y} per recesso"])
