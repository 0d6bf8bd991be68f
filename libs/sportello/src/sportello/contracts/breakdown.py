"""What makes a line's unit price: base, extras, quantities and percent surcharges, as entries
that always add up to the unit net price, with their Italian text (cart API and service page)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from sportello.contracts.money import percent_of
from sportello.formatting import eur, rate

EntryKind = Literal["base", "extra", "quantity", "percent"]
# "Consegna urgente (+30 %)": the entry already says the percent, so the label drops it.
_PERCENT_IN_LABEL = re.compile(r"\s*\(\s*\+?\s*[\d.,]+\s*%\s*\)|,\s*\+\s*[\d.,]+\s*%")


class PriceEntry(BaseModel):
    label: str
    amount_cents: int
    kind: EntryKind


class PriceBreakdown(BaseModel):
    entries: list[PriceEntry]
    unit_net_cents: int
    text: str


class Addition(BaseModel):
    """One answer's share of the price before the percents are applied: cents and/or basis points."""

    label: str
    cents: int = 0
    percent_bp: int = 0
    kind: EntryKind = "extra"


def percent_label(bp: int, label: str) -> str:
    return f"+{rate(bp)} % {_PERCENT_IN_LABEL.sub('', label).strip()}"


def price_breakdown(base_net_cents: int, additions: list[Addition]) -> PriceBreakdown:
    """The entries of one unit; percents apply to base + extras together, as the unit price does.

    Each percent entry is the growth of the rounded total surcharge, so rounding never makes
    the entries disagree with the unit price."""
    # A service priced only by its answers has no base worth a line of its own.
    entries = ([PriceEntry(label="Prezzo base", amount_cents=base_net_cents, kind="base")]
               if base_net_cents or not additions else [])
    subtotal = base_net_cents
    for a in additions:
        if a.cents:
            entries.append(PriceEntry(label=a.label, amount_cents=a.cents, kind=a.kind))
            subtotal += a.cents
    bp_so_far = charged = 0
    for a in additions:
        if a.percent_bp:
            bp_so_far += a.percent_bp
            amount = percent_of(subtotal, bp_so_far) - charged
            charged += amount
            entries.append(PriceEntry(label=percent_label(a.percent_bp, a.label),
                                      amount_cents=amount, kind="percent"))
    unit = subtotal + charged
    return PriceBreakdown(entries=entries, unit_net_cents=unit, text=breakdown_text(entries, unit))


def breakdown_text(entries: list[PriceEntry], unit_net_cents: int) -> str:
    """'Prezzo base 40,00 € · Modelli F24: 4 × 25,00 € = 100,00 € · Totale 140,00 € + IVA'."""
    parts = [f"{e.label} {eur(e.amount_cents)}" if e.kind in ("base", "extra")
             else f"{e.label} = {eur(e.amount_cents)}" for e in entries]
    return " · ".join([*parts, f"Totale {eur(unit_net_cents)} + IVA"])
