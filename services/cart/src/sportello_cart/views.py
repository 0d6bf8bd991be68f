"""Cart rows → the response schemas of schemas.py."""

from __future__ import annotations

import uuid

from sportello.contracts.events import snapshot_of
from sportello.contracts.money import totals

from sportello_cart import domain
from sportello_cart.domain import Kind
from sportello_cart.models import CartLine
from sportello_cart.schemas import CartOut, LineOut


def line_out(line: CartLine) -> LineOut:
    amounts = domain.amounts(line.unit_net_cents, line.quantity, line.vat_rate_bp)
    breakdown = line.price_breakdown
    return LineOut(
        id=line.id,
        **snapshot_of(line),
        unit_net_cents=line.unit_net_cents,
        net_cents=amounts.net_cents if amounts else None,
        vat_cents=amounts.vat_cents if amounts else None,
        gross_cents=amounts.gross_cents if amounts else None,
        locked_by_quote=line.quote_id,
        price_breakdown=breakdown["entries"] if breakdown else None,
        price_breakdown_text=breakdown["text"] if breakdown else None,
    )


def cart_out(cart_id: uuid.UUID, kind: Kind, lines: list[CartLine]) -> CartOut:
    out = [line_out(line) for line in lines]
    return CartOut(
        id=cart_id,
        kind=kind.value,
        lines=out,
        totals=totals(out) if kind is Kind.PURCHASE else None,
    )
