"""The request and response shapes of API.md "Cart"."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sportello.contracts.billing import Billing
from sportello.contracts.events import MaybePricedSnapshot
from sportello.contracts.money import Totals

from sportello_cart.domain import MAX_MESSAGE, MAX_QUANTITY


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


class QuoteSubmit(Strict):
    message: str | None = Field(default=None, max_length=MAX_MESSAGE)


class LineOut(MaybePricedSnapshot):
    """The contract's line as the cart holds it; no price on quote-cart lines (a quote has none
    until staff set one)."""

    id: uuid.UUID
    locked_by_quote: uuid.UUID | None = None


class CartOut(BaseModel):
    id: uuid.UUID
    kind: Literal["purchase", "quote"]
    lines: list[LineOut]
    totals: Totals | None
    currency: Literal["EUR"] = "EUR"


class SessionOut(BaseModel):
    cart_token: str


class OrderAccepted(BaseModel):
    order_id: uuid.UUID


class QuoteAccepted(BaseModel):
    quote_id: uuid.UUID
