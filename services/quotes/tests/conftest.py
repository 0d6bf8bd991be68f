"""Fixtures of the quotes tests: the service running against this run's database and broker,
and a helper that acts as the cart (publishing quote requests) and as staff (pricing them)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sportello.contracts.billing import Address, Billing
from sportello.contracts.events import (
    Contact,
    OrderPaid,
    PricedLine,
    QuoteCartSubmitted,
    QuoteRequestLine,
    ServiceRef,
)
from sportello.contracts.money import Totals
from sportello.testing import bearer, publish_event, running_service, wait_for
from sportello_quotes import domain
from sportello_quotes.app import service
from sqlalchemy import text


@pytest.fixture(scope="session")
async def client(settings):
    async with running_service(service, settings) as c:
        yield c


def rome_today() -> date:
    return domain.rome_today(datetime.now(UTC))


class Quotes:
    """What the other actors do: the cart submits, staff price, time passes."""

    def __init__(self, client, settings):
        self.client = client
        self.settings = settings
        self.staff_id = uuid.uuid4()
        self.staff = bearer(settings, self.staff_id, "staff")

    def request(self, customer_id: uuid.UUID | None = None, lines: int = 2,
                quote_id: uuid.UUID | None = None,
                message: str | None = "Vorrei il sito entro marzo.") -> QuoteCartSubmitted:
        customer_id = customer_id or uuid.uuid4()
        return QuoteCartSubmitted(
            quote_id=quote_id or uuid.uuid4(),
            customer=Contact(account_id=customer_id, email=f"c{customer_id.hex[:8]}@example.it",
                             first_name="Giulia", last_name="Bianchi"),
            lines=[
                QuoteRequestLine(
                    line_id=uuid.uuid4(),
                    service=ServiceRef(slug=f"servizio-{i}", name=f"Servizio {i}", version=2),
                    vat_rate_bp=2200, quantity=i + 1,
                    answers={"pagine": 5 + i, "lingua": "it"},
                    answer_labels=[{"label": "Numero di pagine", "value": str(5 + i)},
                                   {"label": "Lingua", "value": "Italiano"}],
                )
                for i in range(lines)
            ],
            message=message,
        )

    def customer(self, data: QuoteCartSubmitted) -> dict[str, str]:
        return bearer(self.settings, data.customer.account_id)

    async def submit(self, data: QuoteCartSubmitted | None = None, **kw) -> QuoteCartSubmitted:
        """Publish quote_cart.submitted and wait until the customer can read the quote."""
        data = data or self.request(**kw)
        await publish_event(self.settings, "quote_cart.submitted", data, producer="cart")
        await self.wait_status(data, "requested")
        return data

    async def get(self, data: QuoteCartSubmitted):
        return await self.client.get(f"/api/quotes/{data.quote_id}", headers=self.customer(data))

    async def wait_status(self, data: QuoteCartSubmitted, status: str) -> dict:
        async def seen():
            r = await self.get(data)
            return r.json() if r.status_code == 200 and r.json()["status"] == status else None

        return await wait_for(seen, message=f"quote {data.quote_id} {status}")

    async def issue(self, data: QuoteCartSubmitted, prices: list[int] | None = None,
                    valid_until: date | None = None, note: str | None = "Prezzi validi 30 giorni.",
                    billing: dict | None = None):
        """Staff price the lines (`billing`: the customer's billing data to tax them for)."""
        prices = prices or [10000 + 1000 * i for i in range(len(data.lines))]
        body = {
            "lines": [{"line_id": str(line.line_id), "unit_net_cents": p}
                      for line, p in zip(data.lines, prices, strict=True)],
            "valid_until": (valid_until or rome_today() + timedelta(days=30)).isoformat(),
            "note": note,
        }
        if billing is not None:
            body["billing"] = billing
        return await self.client.post(f"/api/staff/quotes/{data.quote_id}/issue", json=body,
                                      headers=self.staff)

    def order_paid(self, data: QuoteCartSubmitted, lines: list[dict],
                   quote_ids: list[uuid.UUID] | None = None) -> OrderPaid:
        """What orders would publish once the customer paid for these (accepted) lines."""
        priced = [PricedLine(**{k: v for k, v in line.items() if k in PricedLine.model_fields},
                             quote_id=data.quote_id) for line in lines]
        return OrderPaid(
            order_id=uuid.uuid4(), number="SP-2026-000042",
            customer=Contact(**data.customer.model_dump()), lines=priced,
            totals=Totals(gross_cents=sum(line.gross_cents for line in priced)),
            billing=Billing(customer_type="privato", first_name="Giulia", last_name="Bianchi",
                            tax_code="BNCGLI80A41H501X",
                            address=Address(street="Via Roma 1", postal_code="00100", city="Roma",
                                            province="RM", country="IT"),
                            email=data.customer.email),
            payment_method="card", paid_at=datetime.now(UTC),
            quote_ids=quote_ids if quote_ids is not None else [data.quote_id],
        )

    async def sql(self, statement: str, **params):
        """Straight to the service's database: to make time pass, or to read the outbox."""
        async with self.client.app.state.sessionmaker() as session, session.begin():
            result = await session.execute(text(statement), params)
            return result.all() if result.returns_rows else result.rowcount

    async def make_validity_pass(self, data: QuoteCartSubmitted) -> None:
        """Time travel: the quote's last valid day becomes yesterday (Rome)."""
        yesterday = rome_today() - timedelta(days=1)
        await self.sql("UPDATE quotes SET valid_until = :d WHERE id = :id",
                       d=yesterday, id=data.quote_id)
        await self.sql("UPDATE quote_revisions SET valid_until = :d WHERE quote_id = :id",
                       d=yesterday, id=data.quote_id)


@pytest.fixture
def quotes(client, settings) -> Quotes:
    return Quotes(client, settings)
