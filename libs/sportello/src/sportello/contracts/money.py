"""Money is integer euro cents; VAT is computed per line in basis points, rounded half-up."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, model_validator


def vat_cents(net_cents: int, vat_rate_bp: int) -> int:
    """VAT of a net amount at a rate in basis points (2200 = 22 %), half-up to the cent.

    Integer arithmetic only: net * rate / 10000, rounded half away from zero.
    """
    if vat_rate_bp < 0:
        raise ValueError("vat_rate_bp must be >= 0")
    product = net_cents * vat_rate_bp
    sign = -1 if product < 0 else 1
    q, r = divmod(abs(product), 10_000)
    return sign * (q + (1 if r * 2 >= 10_000 else 0))


def percent_of(amount_cents: int, percent_bp: int) -> int:
    """`percent_bp` basis points of an amount, half-up (e.g. +30 % urgency = 3000 bp)."""
    return vat_cents(amount_cents, percent_bp)


class LineAmounts(BaseModel):
    unit_net_cents: int
    quantity: int
    vat_rate_bp: int
    net_cents: int
    vat_cents: int
    gross_cents: int


def line_amounts(unit_net_cents: int, quantity: int, vat_rate_bp: int) -> LineAmounts:
    net = unit_net_cents * quantity
    vat = vat_cents(net, vat_rate_bp)
    return LineAmounts(
        unit_net_cents=unit_net_cents,
        quantity=quantity,
        vat_rate_bp=vat_rate_bp,
        net_cents=net,
        vat_cents=vat,
        gross_cents=net + vat,
    )


class VatGroup(BaseModel):
    """The lines of one rate and Natura (the VAT summary of a document)."""

    vat_rate_bp: int
    vat_nature: str | None = None
    taxable_cents: int
    vat_cents: int
    note: str | None = None


class Totals(BaseModel):
    net_cents: int = 0
    vat_cents: int = 0
    gross_cents: int = 0


class TaxedTotals(Totals):
    """Totals of lines taxed for a known customer (checkout, order): `gross_cents` includes the
    stamp duty when it is charged to the customer."""

    stamp_duty_cents: int = 0
    vat_groups: list[VatGroup] = []
    # Why a line carries no Italian VAT, as the customer must read it before paying.
    notes: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _from_plain_totals(cls, value: Any) -> Any:
        # Plain sums (a producer that taxes nothing) are taxed totals without summary or notes.
        return value.model_dump() if isinstance(value, Totals) else value


def totals(lines) -> Totals:
    """Totals are sums of the lines (each line already rounded)."""
    t = Totals()
    for line in lines:
        t.net_cents += line.net_cents
        t.vat_cents += line.vat_cents
        t.gross_cents += line.gross_cents
    return t


def format_eur(cents: int) -> str:
    """Italian format without Babel, for logs and plain places: 1.234,50 €."""
    sign = "-" if cents < 0 else ""
    euros, c = divmod(abs(cents), 100)
    return f"{sign}{euros:,}".replace(",", ".") + f",{c:02d} €"
