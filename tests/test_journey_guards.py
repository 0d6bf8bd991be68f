"""Journeys 4 and 5: bad input and other customers' data change nothing; a double click buys once."""

from __future__ import annotations

import asyncio
import uuid

from journeys_kit import (
    BILLING,
    DICHIARAZIONE,
    SU_MISURA,
    add_line,
    checkout,
    register,
    wait_json,
    wait_status,
)
from sportello.contracts.legal import TERMS_VERSION
from sportello.testing import problem_fields


async def test_wrong_answers_and_billing_are_422_naming_the_field_and_change_nothing(api):
    customer = await register(api)
    line = await add_line(api, customer.headers, DICHIARAZIONE, {"modello": "730"})

    bad = await api.post("/api/cart/items", headers=customer.headers, json={
        "service_slug": DICHIARAZIONE, "answers": {"modello": "nessuno", "immobili": 99}})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert {"answers.modello", "answers.immobili"} <= set(problem_fields(bad.json()))
    fix = await api.patch(f"/api/cart/items/{line['id']}", headers=customer.headers,
                          json={"answers": {"modello": "nessuno"}})
    assert fix.status_code == 422 and "answers.modello" in problem_fields(fix.json())
    cart = (await api.get("/api/cart", headers=customer.headers)).json()
    assert [(ln["id"], ln["answers"]) for ln in cart["lines"]] == [(line["id"], line["answers"])]

    wrong = {**BILLING, "tax_code": "RSSMRA85T10A562X",
             "address": {**BILLING["address"], "postal_code": "201", "province": "Milano"}}
    saved = await api.put("/api/accounts/me/billing", headers=customer.headers, json=wrong)
    assert saved.status_code == 422
    fields = problem_fields(saved.json())
    assert {"tax_code", "address.postal_code", "address.province"} <= set(fields)
    assert (await api.get("/api/accounts/me/billing", headers=customer.headers)).status_code == 404

    refused = await api.post("/api/cart/checkout",
                             headers={**customer.headers, "Idempotency-Key": uuid.uuid4().hex},
                             json={"billing": wrong,
                                   "terms_version": TERMS_VERSION, "payment_method": "card"})
    assert refused.status_code == 422
    assert "billing.tax_code" in problem_fields(refused.json())
    assert len((await api.get("/api/cart", headers=customer.headers)).json()["lines"]) == 1
    assert (await api.get("/api/orders", headers=customer.headers)).json()["items"] == []

    no_method = await api.post("/api/cart/checkout",
                               headers={**customer.headers, "Idempotency-Key": uuid.uuid4().hex},
                               json={"billing": BILLING,
                                     "terms_version": TERMS_VERSION, "payment_method": "contanti"})
    assert no_method.status_code == 422 and "payment_method" in problem_fields(no_method.json())


async def test_illegal_transitions_are_409_and_change_nothing(api, staff):
    customer = await register(api)
    await add_line(api, customer.headers, DICHIARAZIONE, {"modello": "730"})
    order_id = await checkout(api, customer, "bank_transfer")
    await wait_status(api, f"/api/orders/{order_id}", customer.headers, "awaiting_payment")

    skip = await api.post(f"/api/staff/orders/{order_id}/status", headers=staff,
                          json={"status": "completed"})
    assert skip.status_code == 409 and skip.json()["detail"]
    confirmed = await api.post(f"/api/staff/orders/{order_id}/confirm-transfer", headers=staff)
    assert confirmed.status_code == 200, confirmed.text
    cancel = await api.post(f"/api/orders/{order_id}/cancel", headers=customer.headers)
    assert cancel.status_code == 409
    twice = await api.post(f"/api/staff/orders/{order_id}/confirm-transfer", headers=staff)
    assert twice.status_code == 409
    order = (await api.get(f"/api/orders/{order_id}", headers=customer.headers)).json()
    assert order["status"] == "paid"
    assert [h["status"] for h in order["status_history"]] == ["awaiting_payment", "paid"]

    # A quote still `requested` cannot be accepted.
    await add_line(api, customer.headers, SU_MISURA,
                   {"progetto": "Un gestionale.", "budget": "fino-5k"}, quote=True)
    submitted = await api.post("/api/cart/quote/submit", json={},
                               headers={**customer.headers, "Idempotency-Key": uuid.uuid4().hex})
    quote_id = submitted.json()["quote_id"]
    await wait_status(api, f"/api/quotes/{quote_id}", customer.headers, "requested")
    assert (await api.post(f"/api/quotes/{quote_id}/accept",
                           headers=customer.headers)).status_code == 409
    assert (await api.get(f"/api/quotes/{quote_id}",
                          headers=customer.headers)).json()["status"] == "requested"


async def test_a_customer_never_reaches_another_customers_data(api, staff):
    alice = await register(api)
    bob = await register(api)
    line = await add_line(api, alice.headers, DICHIARAZIONE, {"modello": "730"})
    await api.put("/api/accounts/me/billing", headers=alice.headers, json=BILLING)
    qline = await add_line(api, alice.headers, SU_MISURA,
                           {"progetto": "Portale.", "budget": "fino-5k"}, quote=True)

    # Bob on Alice's cart lines.
    assert (await api.patch(f"/api/cart/items/{line['id']}", headers=bob.headers,
                            json={"quantity": 3})).status_code == 404
    assert (await api.delete(f"/api/cart/items/{line['id']}", headers=bob.headers)).status_code == 404
    assert (await api.delete(f"/api/cart/quote/items/{qline['id']}",
                             headers=bob.headers)).status_code == 404
    assert (await api.get("/api/cart", headers=bob.headers)).json()["lines"] == []

    submitted = await api.post("/api/cart/quote/submit", json={"message": "Ciao"},
                               headers={**alice.headers, "Idempotency-Key": uuid.uuid4().hex})
    quote_id = submitted.json()["quote_id"]
    order_id = await checkout(api, alice, "bank_transfer")
    await wait_status(api, f"/api/orders/{order_id}", alice.headers, "awaiting_payment")
    await wait_status(api, f"/api/quotes/{quote_id}", alice.headers, "requested")

    for method, path in (("GET", f"/api/orders/{order_id}"), ("POST", f"/api/orders/{order_id}/pay"),
                         ("POST", f"/api/orders/{order_id}/cancel"),
                         ("GET", f"/api/quotes/{quote_id}"),
                         ("POST", f"/api/quotes/{quote_id}/accept"),
                         ("POST", f"/api/quotes/{quote_id}/decline")):
        r = await api.request(method, path, headers=bob.headers)
        assert r.status_code == 404, (method, path, r.status_code)
    assert (await api.get("/api/orders", headers=bob.headers)).json()["items"] == []
    assert (await api.get("/api/quotes", headers=bob.headers)).json()["items"] == []
    assert (await api.get("/api/accounts/me/billing", headers=bob.headers)).status_code == 404
    # Alice's things are as she left them.
    assert (await api.get(f"/api/orders/{order_id}",
                          headers=alice.headers)).json()["status"] == "awaiting_payment"
    assert (await api.get(f"/api/quotes/{quote_id}",
                          headers=alice.headers)).json()["status"] == "requested"

    # Customers on staff routes: 403.
    for path in ("/api/staff/orders", "/api/staff/quotes", "/api/staff/notifications"):
        assert (await api.get(path, headers=alice.headers)).status_code == 403, path
    assert (await api.post(f"/api/staff/orders/{order_id}/confirm-transfer",
                           headers=alice.headers)).status_code == 403
    assert (await api.get(f"/api/orders/{order_id}",
                          headers=alice.headers)).json()["status"] == "awaiting_payment"


async def test_double_click_on_checkout_buys_once_and_mails_once(api, sink, staff):
    customer = await register(api)
    await add_line(api, customer.headers, DICHIARAZIONE, {"modello": "730"})
    key = uuid.uuid4().hex
    first = await checkout(api, customer, "bank_transfer", key=key)
    again = await checkout(api, customer, "bank_transfer", key=key)
    assert again == first
    other_body = await api.post("/api/cart/checkout",
                                headers={**customer.headers, "Idempotency-Key": key},
                                json={"billing": BILLING,
                                      "terms_version": TERMS_VERSION, "payment_method": "card"})
    assert other_body.status_code == 422

    # Twice at the same instant, one key.
    await add_line(api, customer.headers, DICHIARAZIONE, {"modello": "redditi-pf"})
    key2 = uuid.uuid4().hex
    both = await asyncio.gather(*(api.post(
        "/api/cart/checkout", headers={**customer.headers, "Idempotency-Key": key2},
        json={"billing": BILLING,
              "terms_version": TERMS_VERSION, "payment_method": "bank_transfer"}) for _ in range(2)))
    assert [r.status_code for r in both] == [202, 202], [r.text for r in both]
    assert both[0].json()["order_id"] == both[1].json()["order_id"]
    second = both[0].json()["order_id"]
    assert second != first

    orders = await wait_json(api, "/api/orders", customer.headers, lambda b: len(b["items"]) >= 2)
    assert sorted(o["id"] for o in orders["items"]) == sorted([first, second])
    # One "ordine ricevuto" email per order; the staff confirming the first order's transfer is a
    # later event, so once its email is in, the earlier ones have had their chance to double.
    numbers = {o["id"]: o["number"] for o in orders["items"]}
    for order_id in (first, second):
        await sink.wait(customer.email, f"Ordine {numbers[order_id]} ricevuto")
    await api.post(f"/api/staff/orders/{first}/confirm-transfer", headers=staff)
    await sink.wait(customer.email, f"Conferma d'ordine {numbers[first]}")
    for order_id in (first, second):
        assert len(await sink.messages(customer.email, f"Ordine {numbers[order_id]} ricevuto")) == 1
