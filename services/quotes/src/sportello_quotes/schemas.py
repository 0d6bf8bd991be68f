"""The request and response shapes of API.md "Quotes"."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints
from sportello.contracts.billing import Billing
from sportello.contracts.events import MaybePricedSnapshot
from sportello.contracts.money import TaxedTotals
from sportello.contracts.tax import Treatment
from sportello.contracts.text import FREE_TEXT

# Ten million euro per unit: far above any real service, far below what a bigint can hold.
MAX_UNIT_NET_CENTS = 1_000_000_000
MAX_TEXT = 2000
MAX_MESSAGE = 4000


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


# No NUL or other control characters (sportello.contracts.text): a 422, not PostgreSQL's 500.
RequiredText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=MAX_TEXT), FREE_TEXT]
# Blank counts as not given.
OptionalText = Annotated[RequiredText | None, BeforeValidator(_blank_to_none)]
MessageText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=MAX_MESSAGE, pattern=r"^[^\x00]*$")]


# --- requests ---------------------------------------------------------------------------------


class IssueLine(BaseModel):
    line_id: uuid.UUID
    unit_net_cents: int = Field(ge=0, le=MAX_UNIT_NET_CENTS)


class IssueIn(BaseModel):
    lines: list[IssueLine] = Field(min_length=1, max_length=500)
    valid_until: date
    note: OptionalText = None
    # The customer's billing data to tax the lines for (checked as the checkout checks them);
    # without it, an Italian consumer's treatment.
    billing: Billing | None = None


class DeclineIn(BaseModel):
    reason: OptionalText = None


class AcceptIn(BaseModel):
    # The revision the customer has read: if staff re-issued meanwhile, accept answers 409
    # instead of accepting prices the customer has not seen. Optional (API.md has no body).
    revision: int | None = Field(default=None, ge=1)


class RejectIn(BaseModel):
    reason: RequiredText


class MessageIn(BaseModel):
    body: MessageText
    # Files uploaded first (POST /api/documents, or staff's own): documents attaches to the
    # quote those that the author really uploaded and ignores any other id.
    document_ids: list[uuid.UUID] = Field(default_factory=list, max_length=5)


class RequestChangesIn(BaseModel):
    message: MessageText


class StaffLineIn(BaseModel):
    """A catalog service with its answers, or (without `service_slug`) a free line."""

    service_slug: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    answers: dict[str, Any] | None = None
    description: OptionalText = None
    quantity: int = Field(default=1, ge=1, le=100)
    unit_net_cents: int = Field(ge=0, le=MAX_UNIT_NET_CENTS)
    vat_rate_bp: int | None = Field(default=None, ge=0, le=10000)


class StaffQuoteIn(BaseModel):
    customer_id: uuid.UUID
    lines: list[StaffLineIn] = Field(min_length=1, max_length=50)
    valid_until: date
    note: OptionalText = None
    # As in IssueIn: the billing data to tax the lines for.
    billing: Billing | None = None


# --- answers ----------------------------------------------------------------------------------


class LineOut(MaybePricedSnapshot):
    """The contract's line as requested; its prices (the current revision's) once staff have
    priced the quote, with its tax treatment (for the revision's billing data, else the Italian
    consumer's)."""

    line_id: uuid.UUID
    treatment: Treatment | None = None


class HistoryOut(BaseModel):
    status: str
    at: datetime
    note: str | None = None
    revision: int | None = None


class StaffHistoryOut(HistoryOut):
    from_status: str | None = None
    actor: str
    actor_id: uuid.UUID | None = None


class ContactOut(BaseModel):
    account_id: uuid.UUID
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class MessageOut(BaseModel):
    id: uuid.UUID
    author: str
    body: str
    document_ids: list[uuid.UUID] = []
    created_at: datetime


class MessagesOut(BaseModel):
    items: list[MessageOut]


class QuoteSummary(BaseModel):
    id: uuid.UUID
    number: str
    status: str
    created_at: datetime
    updated_at: datetime
    valid_until: date | None = None
    total_gross_cents: int | None = None


class StaffQuoteSummary(QuoteSummary):
    customer: ContactOut
    line_count: int
    revision: int


class QuoteOut(QuoteSummary):
    revision: int
    message: str | None = None
    budget_cents: int | None = None
    wanted_by: date | None = None
    origin: str = "customer"
    staff_note: str | None = None
    lines: list[LineOut]
    # With the stamp duty (in gross_cents), the VAT summary by rate and Natura and the notes.
    totals: TaxedTotals | None = None
    # The billing data the current revision was taxed for (None: an Italian consumer).
    billing: Billing | None = None
    currency: str = "EUR"
    # True when accept would succeed now (quoted and still within validity).
    can_accept: bool
    # True when the customer may ask staff for a change ("Richiedi una modifica").
    can_request_changes: bool = False
    messages: list[MessageOut] = []
    order_id: uuid.UUID | None = None
    order_number: str | None = None
    status_history: list[HistoryOut]


class RevisionOut(BaseModel):
    revision: int
    valid_until: date
    note: str | None = None
    issued_at: datetime
    issued_by: uuid.UUID
    lines: list[LineOut]
    totals: TaxedTotals
    billing: Billing | None = None


class StaffQuoteOut(QuoteOut):
    customer: ContactOut
    redacted: bool
    status_history: list[StaffHistoryOut]
    revisions: list[RevisionOut]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None



class QuotesReport(BaseModel):
    """The quote funnel of the requests of the last `days`: requested → quoted → accepted →
    ordered, the conversion and the median time to price; and what waits for staff now."""

    days: int
    requested: int
    quoted: int
    accepted: int
    ordered: int
    # ordered / requested, 0..1 (None without requests)
    conversion: float | None
    median_hours_to_price: float | None
    queues: dict[str, int]
