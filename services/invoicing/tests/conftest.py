"""Fixtures of the invoicing tests: the service against this run's database and broker, and the
orders service's side of the conversation (order.paid, a refund)."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from sportello.contracts.billing import Address, Billing
from sportello.contracts.events import Contact, OrderPaid, OrderStatusChanged, PricedLine, ServiceRef
from sportello.contracts.money import line_amounts, totals
from sportello.testing import bearer, publish_event, running_service, wait_for
from sportello.testing.processes import Process, free_port, with_free_ports
from sportello_invoicing.app import service


@pytest.fixture(scope="session")
def invoicing_settings(settings):
    """The run's settings on an exchange of invoicing's own: the other services' test apps of the
    same run would otherwise answer the order.paid published here (and invoice its orders)."""
    own = settings.model_copy(update={"exchange": f"{settings.exchange}.invoicing",
                                      "queue_prefix": f"{settings.queue_prefix}inv."})
    return with_free_ports(own, ["sdi-sandbox"])


@pytest.fixture(scope="session")
async def client(invoicing_settings):
    """The app in-process for the tests' requests, also served on a port for the SDI sandbox's
    receipts; the sandbox as its own process."""
    async with running_service(service, invoicing_settings) as c:
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(c.app, host="127.0.0.1", port=port,
                                               lifespan="off", log_level="warning"))
        serving = asyncio.create_task(server.serve())
        sdi = Process("sdi-sandbox", invoicing_settings, Path(tempfile.mkdtemp()), {
            "SPORTELLO_SDI_SANDBOX_WEBHOOK_URL": f"http://127.0.0.1:{port}/api/invoices/sdi/receipts"})
        try:
            await sdi.wait_healthy()
            yield c
        finally:
            sdi.stop()
            server.should_exit = True
            await serving
    await _drop_own_topology(invoicing_settings)


async def _drop_own_topology(settings) -> None:
    """The queues and exchange of invoicing's own (the run's teardown knows only the run's)."""
    import aio_pika

    async with await aio_pika.connect(settings.amqp_url) as amqp:
        channel = await amqp.channel()
        base = settings.queue_name("invoicing")
        for name in [base, f"{base}.dead", *(f"{base}.retry.{i}" for i in range(len(settings.retry_delays)))]:
            await channel.queue_delete(name)
        await channel.exchange_delete(settings.exchange)


def privato(email: str) -> Billing:
    return Billing(customer_type="privato", first_name="Mario", last_name="Rossi",
                   tax_code="RSSMRA85T10A562S",
                   address=Address(street="Via Verdi 2", postal_code="20121", city="Milano",
                                   province="MI", country="IT"), email=email)


class Orders:
    def __init__(self, client, settings):
        self.client = client
        self.settings = settings
        self.staff = bearer(settings, uuid.uuid4(), "staff")

    def paid(self, unit_net_cents: int = 61725, quantity: int = 2, method: str = "card",
             billing: Billing | None = None) -> OrderPaid:
        customer_id = uuid.uuid4()
        email = f"c{customer_id.hex[:8]}@example.it"
        amounts = line_amounts(unit_net_cents, quantity, 2200)
        line = PricedLine(line_id=uuid.uuid4(), service=ServiceRef(
            slug="traduzione-giurata", name="Traduzione giurata", version=3), answers={},
            answer_labels=[{"label": "Lingua", "value": "Inglese"}], **amounts.model_dump())
        return OrderPaid(
            order_id=uuid.uuid4(), number=f"SP-2026-{uuid.uuid4().int % 10**6:06d}",
            customer=Contact(account_id=customer_id, email=email, first_name="Mario",
                             last_name="Rossi"),
            lines=[line], totals=totals([line]), billing=billing or privato(email),
            payment_method=method, paid_at=datetime.now(UTC))

    def customer(self, order: OrderPaid) -> dict[str, str]:
        return bearer(self.settings, order.customer.account_id)

    async def publish_paid(self, order: OrderPaid, **kw):
        return await publish_event(self.settings, "order.paid", order, producer="orders", **kw)

    async def publish_refund(self, order: OrderPaid, refund_cents: int | None = None):
        await publish_event(self.settings, "order.status_changed", OrderStatusChanged(
            order_id=order.order_id, number=order.number, customer=order.customer,
            from_status="paid", status="refunded", at=datetime.now(UTC),
            refund_cents=refund_cents), producer="orders")

    async def invoices_of(self, order: OrderPaid) -> list[dict]:
        items, cursor = [], None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = (await self.client.get("/api/staff/invoices", params=params,
                                          headers=self.staff)).json()
            items += [i for i in page["items"] if i["order_id"] == str(order.order_id)]
            cursor = page["next_cursor"]
            if not cursor:
                return items

    async def wait_invoices(self, order: OrderPaid, count: int = 1) -> list[dict]:
        async def found():
            got = await self.invoices_of(order)
            return got if len(got) >= count else None
        return await wait_for(found, timeout=15, message=f"{count} invoice(s) of {order.number}")


@pytest.fixture
def orders(client, invoicing_settings) -> Orders:
    return Orders(client, invoicing_settings)
