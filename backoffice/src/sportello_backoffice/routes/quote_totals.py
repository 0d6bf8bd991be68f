"""A quote's live totals while staff type its prices: the shared tax rule
(`sportello.contracts.tax`) applied to the typed prices and the customer's saved billing data,
as JSON for quote-totals.js and as the block the quote page renders without JavaScript. The
same billing data go with the issue (routes/quotes.py), so quotes issues the totals staff saw."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sportello.contracts.billing import Billing, billing_errors
from sportello.contracts.money import TaxedTotals
from sportello.contracts.tax import REVERSE_CHARGE_EU, document_totals, taxed_amounts
from sportello.formatting import cents_from_euro
from sportello.web.gateway import Api

from sportello_backoffice.web import found, staff_api, templates

router = APIRouter()


@dataclass
class LiveTotals:
    totals: TaxedTotals
    # The lines still without a valid price: the totals count only the others.
    missing: list[str] = field(default_factory=list)
    reverse_charge: bool = False
    # Whether the customer's saved billing data was used (else an Italian consumer's treatment).
    with_billing: bool = False


def price_field(line: dict[str, Any]) -> str:
    return f"prezzo-{line['line_id']}"


def customer_billing(account: Any) -> Billing | None:
    """The billing profile the customer saved, if it is one the tax rule can read and the checkout
    (and so quotes, which refuses the others) would accept."""
    profile = account.get("billing_profile") if isinstance(account, dict) else None
    if not profile:
        return None
    try:
        billing = Billing.model_validate(profile)
    except ValidationError:
        return None
    # A profile saved under older rules: totalled, and issued, for an Italian consumer instead of
    # a quote staff could not issue at all.
    return None if billing_errors(billing) else billing


def live_totals(quote: dict[str, Any], prices: Any, billing: Billing | None,
                charge_stamp_duty: bool) -> LiveTotals:
    """The totals of the typed prices (`prices`: the form, field → text) for this customer."""
    taxed, missing = [], []
    for line in quote.get("lines", []):
        try:
            cents = cents_from_euro(str(prices.get(price_field(line), "") or ""))
        except ValueError:
            cents = None
        if cents is None:
            missing.append(price_field(line))
            continue
        taxed.append(taxed_amounts(cents, line["quantity"], line["vat_rate_bp"],
                                   line.get("vat_exemption"), billing))
    return LiveTotals(totals=document_totals(taxed, charge_stamp_duty), missing=missing,
                      reverse_charge=any(t.reverse_charge for _, t in taxed),
                      with_billing=billing is not None)


async def quote_billing(gw: Api, quote: dict[str, Any]) -> Billing | None:
    """The customer's saved billing data, which the live totals use and the issue sends."""
    account_id = (quote.get("customer") or {}).get("account_id")
    if not account_id:
        return None
    result = await gw.get(f"/staff/accounts/{account_id}", require_login=True)
    return customer_billing(result.body) if result.ok else None


def render_block(quote: dict[str, Any], live: LiveTotals) -> str:
    return templates.get_template("_quote_totals.html").render(
        quote=quote, live=live, REVERSE_CHARGE=REVERSE_CHARGE_EU)


@router.get("/preventivi/{quote_id}/totali")
async def totals_of_typed_prices(request: Request, quote_id: str, gw: Api = Depends(staff_api)):
    quote = found(await gw.get(f"/staff/quotes/{quote_id}", require_login=True))
    billing = await quote_billing(gw, quote)
    live = live_totals(quote, request.query_params, billing,
                       request.app.state.settings.stamp_duty_charged)
    return JSONResponse({
        **live.totals.model_dump(), "complete": not live.missing, "missing": live.missing,
        "reverse_charge": live.reverse_charge, "with_billing": live.with_billing,
        "html": render_block(quote, live)})
