"""The response shapes of the invoices routes (API.md "Documents, invoices…")."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel


class InvoiceSummary(BaseModel):
    id: uuid.UUID
    number: str
    type: str
    issued_at: datetime
    issued_on: date
    status: str
    order_id: uuid.UUID
    order_number: str
    total_cents: int
    # The SDI exchange: files sent, the last receipt's errors (NS), the VIES check at checkout.
    sdi_attempts: int = 0
    sdi_errors: list[dict] | None = None
    vat_number_check: str | None = None


class InvoicePage(BaseModel):
    items: list[InvoiceSummary]
    next_cursor: str | None = None
