"""The request and response shapes of API.md "Cart"."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sportello.contracts.billing import Billing
from sportello.contracts.breakdown import PriceEntry
from sportello.contracts.events import MaybePricedSnapshot
from sportello.contracts.money import TaxedTotals, Totals
from sportello.contracts.tax import Treatment

from sportello_cart.domain import MAX_MESSAGE, MAX_QUANTITY

ROME = ZoneInfo("Europe/Rome")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddItem(Strict):
    service_slug: str = Field(min_length=1, max_length=200)
    answers: dict[str, Any] = Field(default_factory=dict)
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY)


class PatchItem(Strict):
    answers: dict[str, Any] | None = None
    quantity: int | None = Field(default=None, ge=1, le=MAX_QUANTITY)


class Checkout(Strict):
    billing: Billing
    payment_method: Literal["card", "bank_transfer"]
    # The conditions of sale the customer accepted: must be the version in force.
    terms_version: str = Field(max_length=40)
    # A privato's request to have the service start within the withdrawal period.
    early_start_consent: bool = False


class Preview(Strict):
    billing: Billing


class QuoteSubmit(Strict):
    message: str | None = Field(default=None, max_length=MAX_MESSAGE)
    # "Budget indicativo" and the day the customer would like the work by: both optional.
    budget_cents: int | None = Field(default=None, ge=100, le=1_000_000_000)
    wanted_by: date | None = None

    @field_validator("wanted_by")
    @classmethod
    def _not_in_the_past(cls, value: date | None) -> date | None:
        if value is not None and value < datetime.now(ROME).date():
            raise ValueError("La data desiderata non può essere nel passato.")
        return value


class LineOut(MaybePricedSnapshot):
    """The contract's line as the cart holds it; no price on quote-cart lines (a quote has none
    until staff set one)."""

    id: uuid.UUID
    locked_by_quote: uuid.UUID | None = None
    # Set by POST /api/cart/preview: the line taxed for the billing data given.
    treatment: Treatment | None = None
    # What makes unit_net_cents (entries summing to it) and the same in Italian words; null on
    # quote-cart lines, quoted lines and lines priced before the breakdown existed.
    price_breakdown: list[PriceEntry] | None = None
    price_breakdown_text: str | None = None


class CartOut(BaseModel):
    id: uuid.UUID
    kind: Literal["purchase", "quote"]
    lines: list[LineOut]
    totals: Totals | None
    currency: Literal["EUR"] = "EUR"


class CartPreview(CartOut):
    """The purchase cart taxed for given billing data (POST /api/cart/preview)."""

    totals: TaxedTotals


class SessionOut(BaseModel):
    cart_token: str


class OrderAccepted(BaseModel):
    order_id: uuid.UUID


class QuoteAccepted(BaseModel):
    quote_id: uuid.UUID


class TermsOut(BaseModel):
    version: str
    published_at: datetime
    url: str
