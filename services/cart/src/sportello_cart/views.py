"""Cart rows → the response schemas of schemas.py."""

from __future__ import annotations

import uuid

from sportello.contracts.events import PricedLine, snapshot_of
from sportello.contracts.money import TaxedTotals, totals
from sportello.contracts.tax import document_totals

from sportello_cart import domain
from sportello_cart.domain import Kind
from sportello_cart.models import CartLine, LineRow
from sportello_cart.schemas import CartOut, CartPreview, LineOut


def _breakdown(line: CartLine) -> dict:
    """What makes the line's price, as it was priced (entries and the same in words)."""
    kept = line.price_breakdown
    return {"price_breakdown": kept["entries"] if kept else None,
            "price_breakdown_text": kept["text"] if kept else None}


def line_out(line: CartLine | LineRow) -> LineOut:
    amounts = domain.amounts(line.unit_net_cents, line.quantity, line.vat_rate_bp)
    return LineOut(
        id=line.id,
        **snapshot_of(line),
        unit_net_cents=line.unit_net_cents,
        net_cents=amounts.net_cents if amounts else None,
        vat_cents=amounts.vat_cents if amounts else None,
        gross_cents=amounts.gross_cents if amounts else None,
        locked_by_quote=line.quote_id,
        **_breakdown(line),
    )


def cart_out(cart_id: uuid.UUID, kind: Kind, lines: list[CartLine]) -> CartOut:
    out = [line_out(line) for line in lines]
    return CartOut(
        id=cart_id,
        kind=kind.value,
        lines=out,
        totals=totals(out) if kind is Kind.PURCHASE else None,
    )


def taxed_totals(lines: list[PricedLine], charge_stamp_duty: bool) -> TaxedTotals:
    """The totals of lines already taxed for a customer, with the stamp duty (the shared rule)."""
    return document_totals([(line, line.treatment) for line in lines], charge_stamp_duty)


def taxed_cart_out(cart_id: uuid.UUID, rows: list[CartLine], priced: list[PricedLine],
                   charge_stamp_duty: bool) -> CartPreview:
    """The purchase cart with each line taxed for the billing data of the payment step."""
    out = [LineOut(id=row.id, locked_by_quote=row.quote_id, **_breakdown(row),
                   **line.model_dump(exclude={"line_id", "quote_id"}))
           for row, line in zip(rows, priced, strict=True)]
    return CartPreview(id=cart_id, kind=Kind.PURCHASE.value, lines=out,
                   totals=taxed_totals(priced, charge_stamp_duty))
