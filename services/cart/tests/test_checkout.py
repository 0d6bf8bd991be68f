"""Checkout and quote submission: idempotency, concurrency, re-pricing, the events they publish."""

from __future__ import annotations

import asyncio
import json
import uuid

from sportello.contracts.events import AccountRegistered, CartCheckedOut, QuoteCartSubmitted
from sportello.contracts.legal import TERMS_VERSION
from sportello.testing import EventTap, problem_fields, publish_event, wait_for
from sportello_cart import actions, repository
from sportello_cart.domain import Kind
from sportello_cart.models import Contact
from sportello_cart.schemas import Checkout

from .conftest import ANSWERS, ANSWERS_UNIT_NET, BILLING, Customer, publish, retire, snapshot

CHECKOUT = {"billing": BILLING, "terms_version": TERMS_VERSION, "payment_method": "card"}


async def fill(client, who: Customer, slug: str, n: int = 1, **extra) -> list[dict]:
    lines = []
    for _ in range(n):
        r = await client.post("/api/cart/items", headers=who.headers,
                              json={"service_slug": slug, "answers": ANSWERS, **extra})
        assert r.status_code == 201, r.text
        lines.append(r.json())
    return lines


async def test_checkout_publishes_the_order_and_empties_the_cart(settings, client, customer,
                                                                 fixed_service):
    [line] = await fill(client, customer, fixed_service.slug, quantity=2)
    async with EventTap(settings, "cart.checked_out") as tap:
        r = await client.post("/api/cart/checkout", headers=customer.with_key("k1"), json=CHECKOUT)
        assert r.status_code == 202, r.text
        order_id = r.json()["order_id"]
        [event] = await tap.wait_for("cart.checked_out",
                                     where=lambda d: d["order_id"] == order_id)
    data = CartCheckedOut.model_validate(event.data)
    assert event.producer == "cart"
    assert data.customer.account_id == customer.id
    # Contact not replicated yet → the billing data's email and names.
    assert (data.customer.email, data.customer.first_name, data.customer.last_name) == (
        "mario.rossi@example.it", "Mario", "Rossi")
    [sold] = data.lines
    assert sold.line_id == uuid.UUID(line["id"])
    assert (sold.unit_net_cents, sold.quantity, sold.net_cents, sold.vat_cents, sold.gross_cents) == (
        ANSWERS_UNIT_NET, 2, 50000, 11000, 61000)
    assert sold.service.slug == fixed_service.slug and sold.quote_id is None
    assert data.totals.model_dump(include={"net_cents", "vat_cents", "gross_cents"}) == {
        "net_cents": 50000, "vat_cents": 11000, "gross_cents": 61000}
    # An Italian consumer: IVA at the service's rate, no Natura, no stamp duty.
    assert [(g.vat_rate_bp, g.vat_nature) for g in data.totals.vat_groups] == [(2200, None)]
    assert data.totals.stamp_duty_cents == 0 and sold.treatment.vat_rate_bp == 2200
    # The billing snapshot as kept: normalised.
    assert data.billing.address.province == "MI" and data.billing.email == "mario.rossi@example.it"
    assert data.payment_method == "card"
    assert (await client.get("/api/cart", headers=customer.headers)).json()["lines"] == []


async def test_the_replicated_contact_is_used_when_known(settings, client, fixed_service):
    me = Customer(settings)
    await publish_event(settings, "account.registered", AccountRegistered(
        account_id=me.id, email="anna@example.it", first_name="Anna", last_name="Bianchi"))

    async def replicated():
        async with client.app.state.sessionmaker() as s:
            return await s.get(Contact, me.id)

    await wait_for(replicated)
    await fill(client, me, fixed_service.slug)
    async with EventTap(settings, "cart.checked_out") as tap:
        r = await client.post("/api/cart/checkout", headers=me.with_key("k"), json=CHECKOUT)
        [event] = await tap.wait_for("cart.checked_out",
                                     where=lambda d: d["order_id"] == r.json()["order_id"])
    assert event.data["customer"] == {"account_id": str(me.id), "email": "anna@example.it",
                                      "first_name": "Anna", "last_name": "Bianchi"}


async def test_the_same_key_gives_the_same_order_and_one_event(settings, client, customer,
                                                               fixed_service):
    await fill(client, customer, fixed_service.slug)
    async with EventTap(settings, "cart.checked_out") as tap:
        first = await client.post("/api/cart/checkout", headers=customer.with_key("abc"), json=CHECKOUT)
        # Same body with other key order and whitespace: the same request.
        again = await client.post(
            "/api/cart/checkout", headers={**customer.with_key("abc"), "content-type": "application/json"},
            content=(f'{{"terms_version": "{TERMS_VERSION}", "payment_method": "card",  "billing": '
                     + json.dumps(BILLING) + "}").encode())
        assert first.status_code == again.status_code == 202
        assert first.json() == again.json()
        other = await client.post("/api/cart/checkout", headers=customer.with_key("abc"),
                                  json={**CHECKOUT, "payment_method": "bank_transfer"})
        assert other.status_code == 422
        assert "Idempotency-Key" in problem_fields(other.json())
        order_id = first.json()["order_id"]
        await tap.wait_for("cart.checked_out", where=lambda d: d["order_id"] == order_id)
        # One more checkout event from this customer would have to be another order: make one
        # and see that only it follows.
        await fill(client, customer, fixed_service.slug)
        later = await client.post("/api/cart/checkout", headers=customer.with_key("def"), json=CHECKOUT)
        await tap.wait_for("cart.checked_out", where=lambda d: d["order_id"] == later.json()["order_id"])
    mine = [e for e in tap.of_type("cart.checked_out")
            if e.data["customer"]["account_id"] == str(customer.id)]
    assert [e.data["order_id"] for e in mine] == [order_id, later.json()["order_id"]]


async def test_concurrent_checkouts_of_one_cart_make_one_order(settings, client, customer,
                                                               fixed_service):
    await fill(client, customer, fixed_service.slug, n=3)
    async with EventTap(settings, "cart.checked_out") as tap:
        answers = await asyncio.gather(*(
            client.post("/api/cart/checkout", headers=customer.with_key(f"tab-{i}"), json=CHECKOUT)
            for i in range(6)))
        codes = sorted(a.status_code for a in answers)
        assert codes == [202, 409, 409, 409, 409, 409], [a.text for a in answers]
        [won] = [a for a in answers if a.status_code == 202]
        await tap.wait_for("cart.checked_out", where=lambda d: d["order_id"] == won.json()["order_id"])
        # A marker order after the race: once it has arrived, nothing of the race is in flight.
        await fill(client, customer, fixed_service.slug)
        marker = await client.post("/api/cart/checkout", headers=customer.with_key("m"), json=CHECKOUT)
        await tap.wait_for("cart.checked_out", where=lambda d: d["order_id"] == marker.json()["order_id"])
    mine = [e for e in tap.of_type("cart.checked_out")
            if e.data["customer"]["account_id"] == str(customer.id)]
    assert len(mine) == 2
    assert len(mine[0].data["lines"]) == 3


async def _write_submission(settings, client, customer, found, key: str):
    """The checkout's write for what it read in `found`: its answer, or None when the lines it
    read were no longer all there to take."""
    body = Checkout.model_validate(CHECKOUT)
    fingerprint, billing = actions.checked_checkout(body)
    order_id, event = await actions.order_checked_out(customer.id, body, billing, found.lines,
                                                      found.contact, settings)
    async with client.app.state.fast_pool.acquire() as connection:
        return await actions.write_checkout(connection, "cart", customer.id, key, fingerprint,
                                            found.lines, order_id, event)


async def _read_submission(client, customer, key: str):
    async with client.app.state.fast_pool.acquire() as connection:
        return await repository.to_submit_on(connection, customer.id, Kind.PURCHASE, "checkout",
                                             key)


async def test_a_line_added_between_a_checkouts_read_and_write_stays_in_the_cart(
        settings, client, customer, fixed_service):
    [first] = await fill(client, customer, fixed_service.slug)
    found = await _read_submission(client, customer, "k")
    [added] = await fill(client, customer, fixed_service.slug)
    assert await _write_submission(settings, client, customer, found, "k") is not None
    cart = (await client.get("/api/cart", headers=customer.headers)).json()
    assert [line["id"] for line in cart["lines"]] == [added["id"]]
    assert (await _read_submission(client, customer, "k")).prior is not None


async def test_a_checkout_whose_lines_went_meanwhile_writes_nothing(settings, client, customer,
                                                                    fixed_service):
    lines = await fill(client, customer, fixed_service.slug, n=2)
    found = await _read_submission(client, customer, "slow")
    # Meanwhile the customer removes one line: the slow checkout's read no longer holds.
    r = await client.delete(f"/api/cart/items/{lines[0]['id']}", headers=customer.headers)
    assert r.status_code == 204
    assert await _write_submission(settings, client, customer, found, "slow") is None
    again = await _read_submission(client, customer, "slow")
    assert again.prior is None and [line.id for line in again.lines] == [uuid.UUID(lines[1]["id"])]
    # Through the API the same checkout now buys the line that is left.
    r = await client.post("/api/cart/checkout", headers=customer.with_key("slow"), json=CHECKOUT)
    assert r.status_code == 202, r.text
    assert (await client.get("/api/cart", headers=customer.headers)).json()["lines"] == []


async def test_concurrent_retries_with_one_key_answer_the_same_order(client, customer, fixed_service):
    await fill(client, customer, fixed_service.slug)
    answers = await asyncio.gather(*(
        client.post("/api/cart/checkout", headers=customer.with_key("retry"), json=CHECKOUT)
        for _ in range(4)))
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["order_id"] for a in answers}) == 1


async def test_a_price_change_since_adding_is_409_naming_the_line(settings, client, customer):
    s = await publish(settings, client, snapshot())
    [line] = await fill(client, customer, s.slug)
    await publish(settings, client, snapshot(s.slug, version=2, base_net_cents=12000))
    r = await client.post("/api/cart/checkout", headers=customer.with_key("p1"), json=CHECKOUT)
    assert r.status_code == 409
    [problem] = r.json()["lines"]
    assert problem["line_id"] == line["id"] and problem["reason"] == "price_changed"
    assert (problem["old_unit_net_cents"], problem["new_unit_net_cents"]) == (25000, 27000)
    # Nothing changed: the line is still there at the old price.
    [kept] = (await client.get("/api/cart", headers=customer.headers)).json()["lines"]
    assert kept["unit_net_cents"] == 25000
    # Confirming the line (PATCH, same answers) takes the new price; then checkout goes through.
    r = await client.patch(f"/api/cart/items/{line['id']}", headers=customer.headers, json={})
    assert r.json()["unit_net_cents"] == 27000 and r.json()["service"]["version"] == 2
    r = await client.post("/api/cart/checkout", headers=customer.with_key("p1"), json=CHECKOUT)
    assert r.status_code == 202


async def test_a_service_retired_since_adding_is_409_naming_the_line(settings, client, customer,
                                                                     fixed_service):
    s = await publish(settings, client, snapshot(name="Logo"))
    [keep] = await fill(client, customer, fixed_service.slug)
    [gone] = await fill(client, customer, s.slug)
    await retire(settings, client, s.slug, version=2)
    r = await client.post("/api/cart/checkout", headers=customer.with_key("r1"), json=CHECKOUT)
    assert r.status_code == 409
    assert [(p["line_id"], p["reason"]) for p in r.json()["lines"]] == [(gone["id"], "retired")]
    assert "Logo" in r.json()["lines"][0]["message"]
    r = await client.patch(f"/api/cart/items/{gone['id']}", headers=customer.headers, json={})
    assert r.status_code == 409
    await client.delete(f"/api/cart/items/{gone['id']}", headers=customer.headers)
    r = await client.post("/api/cart/checkout", headers=customer.with_key("r2"), json=CHECKOUT)
    assert r.status_code == 202


async def test_checkout_refuses_bad_billing_and_changes_nothing(client, customer, fixed_service):
    await fill(client, customer, fixed_service.slug)
    bad = {**BILLING, "tax_code": "RSSMRA85T10A562X",
           "address": {**BILLING["address"], "postal_code": "201"}}
    r = await client.post("/api/cart/checkout", headers=customer.with_key("b1"),
                          json={"billing": bad, "terms_version": TERMS_VERSION, "payment_method": "card"})
    assert r.status_code == 422
    assert problem_fields(r.json()) == {
        "billing.tax_code": "Il codice fiscale non è valido.",
        "billing.address.postal_code": "Il CAP deve essere di 5 cifre.",
    }
    r = await client.post("/api/cart/checkout", headers=customer.with_key("b2"),
                          json={"billing": {**BILLING, "address": {}},
                                "terms_version": TERMS_VERSION, "payment_method": "cash"})
    assert r.status_code == 422
    fields = problem_fields(r.json())
    assert "payment_method" in fields and "billing.address.street" in fields
    assert len((await client.get("/api/cart", headers=customer.headers)).json()["lines"]) == 1


async def test_checkout_needs_a_customer_a_key_and_lines(settings, client, fixed_service):
    me = Customer(settings)
    visitor = {"X-Cart-Token": (await client.post("/api/cart/session")).json()["cart_token"]}
    r = await client.post("/api/cart/checkout", headers={**visitor, "Idempotency-Key": "x"},
                          json=CHECKOUT)
    assert r.status_code == 401
    r = await client.post("/api/cart/checkout", headers=me.headers, json=CHECKOUT)
    assert r.status_code == 422 and "Idempotency-Key" in problem_fields(r.json())
    r = await client.post("/api/cart/checkout", headers=me.with_key("k" * 256), json=CHECKOUT)
    assert r.status_code == 422 and "Idempotency-Key" in problem_fields(r.json())
    r = await client.post("/api/cart/checkout", headers=me.with_key("empty"), json=CHECKOUT)
    assert r.status_code == 409 and r.json()["detail"] == "Il carrello è vuoto."


# --- quote cart ----------------------------------------------------------------------------------

async def test_submitting_the_quote_cart_publishes_the_request_and_empties_it(settings, client,
                                                                              customer):
    s = await publish(settings, client, snapshot(pricing_mode="quote", base_net_cents=None,
                                                 name="Sito su misura"))
    r = await client.post("/api/cart/quote/items", headers=customer.headers,
                          json={"service_slug": s.slug, "answers": ANSWERS, "quantity": 2})
    line = r.json()
    async with EventTap(settings, "quote_cart.submitted") as tap:
        r = await client.post("/api/cart/quote/submit", headers=customer.with_key("q1"),
                              json={"message": "  Serve entro marzo.  "})
        assert r.status_code == 202, r.text
        quote_id = r.json()["quote_id"]
        again = await client.post("/api/cart/quote/submit", headers=customer.with_key("q1"),
                                  json={"message": "Serve entro marzo."})
        assert again.status_code == 202 and again.json() == r.json()
        [event] = await tap.wait_for("quote_cart.submitted", where=lambda d: d["quote_id"] == quote_id)
    data = QuoteCartSubmitted.model_validate(event.data)
    # No contact replicated: the token's email claim.
    assert (data.customer.account_id, data.customer.email) == (customer.id, customer.email)
    assert data.message == "Serve entro marzo."
    [req] = data.lines
    assert req.line_id == uuid.UUID(line["id"]) and req.quantity == 2
    assert (req.service.slug, req.service.name, req.vat_rate_bp) == (s.slug, "Sito su misura", 2200)
    assert req.answers == {**ANSWERS, "hosting": False}  # as kept: normalised
    assert {"label": "Azienda", "value": "Rossi S.r.l."} in [a.model_dump() for a in req.answer_labels]
    assert (await client.get("/api/cart/quote", headers=customer.headers)).json()["lines"] == []
    r = await client.post("/api/cart/quote/submit", headers=customer.with_key("q1"),
                          json={"message": "altro"})
    assert r.status_code == 422


async def test_quote_submission_rules(settings, client):
    s = await publish(settings, client, snapshot(pricing_mode="quote"))
    me = Customer(settings)  # no email claim and no contact replicated yet
    await client.post("/api/cart/quote/items", headers=me.headers,
                      json={"service_slug": s.slug, "answers": ANSWERS})
    r = await client.post("/api/cart/quote/submit", headers=me.with_key("m"),
                          json={"message": "x" * 2001})
    assert r.status_code == 422 and "message" in problem_fields(r.json())
    r = await client.post("/api/cart/quote/submit", headers=me.headers)
    assert r.status_code == 422 and "Idempotency-Key" in problem_fields(r.json())
    r = await client.post("/api/cart/quote/submit", headers=me.with_key("n"))
    assert r.status_code == 409 and r.headers["Retry-After"] == "1"
    assert len((await client.get("/api/cart/quote", headers=me.headers)).json()["lines"]) == 1
    other = Customer(settings, email="o@example.it")
    r = await client.post("/api/cart/quote/submit", headers=other.with_key("n"))
    assert r.status_code == 409 and "vuota" in r.json()["detail"]
    # x * 2000 is the limit, and is accepted once the contact is known.
    await publish_event(settings, "account.registered", AccountRegistered(
        account_id=me.id, email="me@example.it", first_name="Io", last_name="Stesso"))

    async def known():
        async with client.app.state.sessionmaker() as session:
            return await session.get(Contact, me.id)

    await wait_for(known)
    r = await client.post("/api/cart/quote/submit", headers=me.with_key("n"),
                          json={"message": "x" * 2000})
    assert r.status_code == 202


async def test_checkout_without_the_current_terms_is_422_naming_terms_version(client, customer,
                                                                            fixed_service):
    await fill(client, customer, fixed_service.slug)
    body = {"billing": BILLING, "payment_method": "card"}
    missing = await client.post("/api/cart/checkout", headers=customer.with_key("t1"), json=body)
    assert missing.status_code == 422
    assert "terms_version" in problem_fields(missing.json())
    old = await client.post("/api/cart/checkout", headers=customer.with_key("t2"),
                            json={**body, "terms_version": "2020-01-01"})
    assert old.status_code == 422
    [error] = old.json()["errors"]
    assert error["field"] == "terms_version" and TERMS_VERSION in error["message"]
    # Nothing was bought: the line is still in the cart.
    assert len((await client.get("/api/cart", headers=customer.headers)).json()["lines"]) == 1


async def test_the_accepted_terms_and_a_privato_s_early_start_travel_with_the_checkout(
        settings, client, customer, fixed_service):
    await fill(client, customer, fixed_service.slug)
    async with EventTap(settings, "cart.checked_out") as tap:
        r = await client.post("/api/cart/checkout", headers=customer.with_key("t3"),
                              json={**CHECKOUT, "early_start_consent": True})
        assert r.status_code == 202, r.text
        [event] = await tap.wait_for("cart.checked_out",
                                     where=lambda d: d["order_id"] == r.json()["order_id"])
    data = CartCheckedOut.model_validate(event.data)
    assert data.terms.version == TERMS_VERSION and data.terms.accepted_at is not None
    assert data.early_start_consent_at == data.terms.accepted_at


async def test_an_azienda_s_early_start_tick_is_not_recorded(settings, client, customer,
                                                            fixed_service):
    azienda = {"customer_type": "azienda", "company_name": "Rossi S.r.l.",
               "vat_number": "12345670017", "sdi_code": "ABC1234",
               "address": BILLING["address"], "email": BILLING["email"]}
    await fill(client, customer, fixed_service.slug)
    async with EventTap(settings, "cart.checked_out") as tap:
        r = await client.post("/api/cart/checkout", headers=customer.with_key("t4"),
                              json={**CHECKOUT, "billing": azienda, "early_start_consent": True})
        assert r.status_code == 202, r.text
        [event] = await tap.wait_for("cart.checked_out",
                                     where=lambda d: d["order_id"] == r.json()["order_id"])
    assert event.data["early_start_consent_at"] is None
    assert event.data["terms"]["version"] == TERMS_VERSION
