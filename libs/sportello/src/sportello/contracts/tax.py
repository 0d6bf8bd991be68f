"""The tax treatment of a line, by service and by customer, and the stamp duty (imposta di bollo)
of a document: the one rule cart, quotes, orders, invoicing, the pages and the emails apply.

The articles behind each rule are named in libs/sportello/README.md ("Tax rule").
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from stdnum.eu import vat as eu_vat

from sportello.contracts.billing import Billing
from sportello.contracts.money import LineAmounts, TaxedTotals, VatGroup, vat_cents

# Exemptions a service of the catalog may carry, with the Natura of FatturaPA and the law.
Exemption = Literal["art10_n20"]
EXEMPTIONS: dict[str, tuple[str, str]] = {
    # Training by accredited bodies: esente art. 10, primo comma, n. 20 DPR 633/72.
    "art10_n20": ("N4", "Esente IVA art. 10, n. 20, DPR 633/72"),
}
# What a VIES check of an EU VAT number said; "not_verified" when VIES could not be reached.
VatNumberCheck = Literal["verified", "invalid", "not_verified"]
REVERSE_CHARGE_EU = "IVA: inversione contabile, art. 7-ter DPR 633/72"
OUTSIDE_EU_B2B = "Operazione non soggetta a IVA, art. 7-ter DPR 633/72"
# Natura of a generic B2B service supplied to a business established outside Italy.
NOT_SUBJECT_7TER = "N2.1"

# Art. 13 n. 1 Tariffa allegata al DPR 642/72: 2,00 € on an invoice whose amounts not subject to
# VAT exceed 77,47 €.
STAMP_DUTY_CENTS = 200
STAMP_DUTY_THRESHOLD_CENTS = 7747
STAMP_DUTY_NOTE = "Imposta di bollo assolta in modo virtuale ai sensi del D.M. 17/06/2014"


class Treatment(BaseModel):
    """How one line is taxed: the rate applied, and when it is 0 %, the Natura and why."""

    vat_rate_bp: int
    vat_nature: str | None = None
    vat_note: str | None = None
    # The customer accounts for VAT (inversione contabile): the document says so.
    reverse_charge: bool = False
    # Whether the line's amount counts toward the stamp duty threshold (not for supplies to
    # businesses abroad, which the issue of the invoicing service and the bollo rules leave out).
    counts_for_stamp_duty: bool = False


def is_eu_country(country: str) -> bool:
    return country.lower() in eu_vat.MEMBER_STATES


def is_eu_business(billing: Billing) -> bool:
    """A business established in another EU country, with a VAT number valid in form (the VIES
    check, where VIES is reachable, is recorded apart: `vies_verified` on the invoice)."""
    country = billing.address.country.upper()
    if billing.customer_type != "azienda" or country == "IT" or not is_eu_country(country):
        return False
    prefix = "EL" if country == "GR" else country  # Greece's VAT numbers start with EL
    number = (billing.vat_number or "").upper().replace(" ", "")
    if not number.startswith(prefix):
        number = prefix + number
    return eu_vat.is_valid(number)


def line_treatment(vat_rate_bp: int, exemption: str | None, billing: Billing | None) -> Treatment:
    """The treatment of a generic service (art. 7-ter) for this customer.

    Without billing data (browsing, a cart before checkout) the Italian consumer's treatment.
    """
    abroad = billing is not None and billing.address.country.upper() != "IT"
    if abroad and billing.customer_type == "azienda":
        if is_eu_country(billing.address.country):
            if is_eu_business(billing):
                return Treatment(vat_rate_bp=0, vat_nature=NOT_SUBJECT_7TER,
                                 vat_note=REVERSE_CHARGE_EU, reverse_charge=True)
            # An EU "business" without a valid VAT number is treated as a consumer.
        else:
            return Treatment(vat_rate_bp=0, vat_nature=NOT_SUBJECT_7TER, vat_note=OUTSIDE_EU_B2B)
    if exemption is not None:
        nature, note = EXEMPTIONS[exemption]
        return Treatment(vat_rate_bp=0, vat_nature=nature, vat_note=note,
                         counts_for_stamp_duty=True)
    return Treatment(vat_rate_bp=vat_rate_bp)


def stamp_duty_cents(lines: list[tuple[int, Treatment]], charged: bool = True) -> int:
    """2,00 € when the amounts not subject to VAT exceed 77,47 €; 0 when the seller does not charge
    it to the customer (`charged`), in which case the seller still owes it on the invoice."""
    exempt = sum(net for net, t in lines if t.counts_for_stamp_duty)
    due = exempt > STAMP_DUTY_THRESHOLD_CENTS
    return STAMP_DUTY_CENTS if due and charged else 0


def stamp_duty_due(lines: list[tuple[int, Treatment]]) -> bool:
    return sum(net for net, t in lines if t.counts_for_stamp_duty) > STAMP_DUTY_THRESHOLD_CENTS


def taxed_amounts(unit_net_cents: int, quantity: int, vat_rate_bp: int, exemption: str | None,
                  billing: Billing | None) -> tuple[LineAmounts, Treatment]:
    """A line's amounts under the customer's treatment (VAT at the treatment's rate)."""
    t = line_treatment(vat_rate_bp, exemption, billing)
    net = unit_net_cents * quantity
    vat = vat_cents(net, t.vat_rate_bp)
    return LineAmounts(unit_net_cents=unit_net_cents, quantity=quantity, vat_rate_bp=vat_rate_bp,
                       net_cents=net, vat_cents=vat, gross_cents=net + vat), t


def document_totals(lines: list[tuple[LineAmounts, Treatment]],
                    charge_stamp_duty: bool = True) -> TaxedTotals:
    """The totals of a cart, order or invoice: sums of the lines, the VAT summary by rate and
    Natura, the notes the customer must read, and the stamp duty when charged to them."""
    groups: dict[tuple[int, str | None], VatGroup] = {}
    for amounts, t in lines:
        g = groups.setdefault((t.vat_rate_bp, t.vat_nature), VatGroup(
            vat_rate_bp=t.vat_rate_bp, vat_nature=t.vat_nature, taxable_cents=0, vat_cents=0,
            note=t.vat_note))
        g.taxable_cents += amounts.net_cents
        g.vat_cents += amounts.vat_cents
    stamp = stamp_duty_cents([(a.net_cents, t) for a, t in lines], charge_stamp_duty)
    notes = list(dict.fromkeys(t.vat_note for _, t in lines if t.vat_note))
    return TaxedTotals(net_cents=sum(a.net_cents for a, _ in lines),
                  vat_cents=sum(a.vat_cents for a, _ in lines),
                  gross_cents=sum(a.gross_cents for a, _ in lines) + stamp,
                  stamp_duty_cents=stamp, vat_groups=list(groups.values()), notes=notes)
