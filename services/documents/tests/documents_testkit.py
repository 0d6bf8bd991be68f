"""What the documents tests share: files to upload, customers, and the events other services
would publish."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

from sportello.contracts.events import Contact, QuoteRequested, QuoteRequestLine, ServiceRef
from sportello.testing import bearer, publish_event


def pdf(size: int = 4000) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(size)


class Customer:
    def __init__(self, settings):
        self.id = uuid.uuid4()
        self.headers = bearer(settings, self.id)
        self.contact = Contact(account_id=self.id, email=f"c{self.id.hex[:8]}@example.it",
                               first_name="Maria", last_name="Bianchi")


async def upload(client, headers, body: bytes, name: str = "passaporto.pdf"):
    return await client.post("/api/documents", headers=headers,
                             files={"file": (name, body, "application/pdf")})


async def request_quote(settings, customer: Customer, docs: list[dict]) -> uuid.UUID:
    """quote.requested naming the files as a verified cart line carries them."""
    quote_id = uuid.uuid4()
    line = QuoteRequestLine(line_id=uuid.uuid4(), service=ServiceRef(
        slug="traduzione-tecnica", name="Traduzione tecnica", version=1),
        answers={"campione": docs}, answer_labels=[], quantity=1, vat_rate_bp=2200)
    await publish_event(settings, "quote.requested", QuoteRequested(
        quote_id=quote_id, number=f"PR-2026-{quote_id.int % 10**6:06d}", customer=customer.contact,
        lines=[line]), producer="quotes")
    return quote_id


def now() -> datetime:
    return datetime.now(UTC)
