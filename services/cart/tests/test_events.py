"""Events into the cart on the real broker: accepted quotes, account updates and deletion."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sportello.contracts.envelope import Envelope
from sportello.contracts.events import (
    AccountDeleted,
    AccountUpdated,
    Contact,
    QuoteAccepted,
    QuotedLine,
    ServiceRef,
)
from sportello.contracts.forms import AnswerLabel
from sportello.contracts.legal import TERMS_VERSION
from sportello.testing import EventTap, publish_event, wait_for
from sportello_cart.models import Cart as CartRow
from sportello_cart.models import Contact as ContactRow
from sqlalchemy import select

from .conftest import ANSWERS, BILLING, Customer


def accepted(who: Customer, quote_id: uuid.UUID | None = None) -> QuoteAccepted:
    def quoted(unit: int, qty: int) -> QuotedLine:
        net = unit * qty
        vat = (net * 22 + 50) // 100
        return QuotedLine(
            line_id=uuid.uuid4(), service=ServiceRef(slug="sito-su-misura", name="Sito su misura",
                                                     version=4),
            answers=ANSWERS, answer_labels=[AnswerLabel(label="Azienda", value="Rossi S.r.l.")],
            quantity=qty, unit_net_cents=unit, vat_rate_bp=2200, net_cents=net, vat_cents=vat,
            gross_cents=net + vat)

    return QuoteAccepted(
        quote_id=quote_id or uuid.uuid4(), number="PV-2026-000007",
        customer=Contact(account_id=who.id, email="q@example.it", first_name="Q", last_name="C"),
        lines=[quoted(123456, 1), quoted(5000, 3)])


async def cart_lines(client, who: Customer) -> list[dict]:
    return (await client.get("/api/cart", headers=who.headers)).json()["lines"]


async def test_accepted_quote_lines_enter_the_cart_locked_at_the_quoted_price(settings, client):
    me = Customer(settings)
    quote = accepted(me)
    first = await publish_event(settings, "quote.accepted", quote, producer="quotes")
    lines = await wait_for(lambda: _lines_when(client, me, 2))
    assert [(x["unit_net_cents"], x["quantity"], x["net_cents"], x["gross_cents"]) for x in lines] == [
        (123456, 1, 123456, 150616), (5000, 3, 15000, 18300)]
    assert {x["locked_by_quote"] for x in lines} == {str(quote.quote_id)}
    assert lines[0]["service"] == {"slug": "sito-su-misura", "name": "Sito su misura", "version": 4}

    # Redelivered (same event id) and published again (new id): still two lines.
    await publish_event(settings, "quote.accepted", quote, producer="quotes", event_id=first.id)
    await publish_event(settings, "quote.accepted", quote, producer="quotes")
    # A third, different quote proves the previous events have been handled.
    await publish_event(settings, "quote.accepted", accepted(me), producer="quotes")
    lines = await wait_for(lambda: _lines_when(client, me, 4))
    assert len([x for x in lines if x["locked_by_quote"] == str(quote.quote_id)]) == 2

    r = await client.patch(f"/api/cart/items/{lines[0]['id']}", headers=me.headers,
                           json={"quantity": 2})
    assert r.status_code == 409
    r = await client.patch(f"/api/cart/items/{lines[0]['id']}", headers=me.headers,
                           json={"answers": {}})
    assert r.status_code == 409
    assert (await client.delete(f"/api/cart/items/{lines[2]['id']}", headers=me.headers)).status_code == 204
    assert (await client.delete(f"/api/cart/items/{lines[3]['id']}", headers=me.headers)).status_code == 204

    # The quoted service is not in the replica at all: the agreed price still goes through.
    async with EventTap(settings, "cart.checked_out") as tap:
        r = await client.post("/api/cart/checkout", headers=me.with_key("q"),
                              json={"billing": BILLING,
                                    "terms_version": TERMS_VERSION, "payment_method": "bank_transfer"})
        assert r.status_code == 202, r.text
        [event] = await tap.wait_for("cart.checked_out",
                                     where=lambda d: d["order_id"] == r.json()["order_id"])
    assert [line["quote_id"] for line in event.data["lines"]] == [str(quote.quote_id)] * 2
    assert {k: event.data["totals"][k] for k in ("net_cents", "vat_cents", "gross_cents")} == {
        "net_cents": 138456, "vat_cents": 30460, "gross_cents": 168916}


async def _lines_when(client, who, n):
    lines = await cart_lines(client, who)
    return lines if len(lines) >= n else None


async def test_a_deleted_account_loses_its_carts_and_contact(settings, client, fixed_service):
    me, other = Customer(settings), Customer(settings)
    for who in (me, other):
        await client.post("/api/cart/items", headers=who.headers,
                          json={"service_slug": fixed_service.slug, "answers": ANSWERS})
    await publish_event(settings, "account.updated", AccountUpdated(
        account_id=me.id, email="me@example.it", first_name="A", last_name="B"))
    await wait_for(lambda: _contact(client, me.id))
    await publish_event(settings, "account.deleted", AccountDeleted(account_id=me.id))

    # Read in the database: the erased customer's token itself is refused once accounts has put
    # the id on the deny-list (when accounts runs beside, as in the whole suite).
    async def erased():
        return not await _carts(client, me.id) and await _contact(client, me.id) is None

    await wait_for(erased)
    assert len(await cart_lines(client, other)) == 1


async def _carts(client, account_id):
    async with client.app.state.sessionmaker() as s:
        return list(await s.scalars(select(CartRow).where(CartRow.customer_id == account_id)))


async def _contact(client, account_id):
    async with client.app.state.sessionmaker() as s:
        return await s.get(ContactRow, account_id)


async def test_an_older_account_update_arriving_late_is_ignored(settings, client):
    me = Customer(settings)
    now = datetime.now(UTC)

    async def send(email: str, at: datetime):
        data = AccountUpdated(account_id=me.id, email=email, first_name="N", last_name="C")
        envelope = Envelope(type="account.updated", producer="accounts", occurred_at=at,
                            data=data.model_dump(mode="json"))
        await client.app.state.consumer.handle(client.app.state.service.handlers["account.updated"],
                                               envelope)

    await send("new@example.it", now)
    await send("old@example.it", now - timedelta(seconds=5))
    assert (await _contact(client, me.id)).email == "new@example.it"
    await send("newer@example.it", now + timedelta(seconds=5))
    assert (await _contact(client, me.id)).email == "newer@example.it"
