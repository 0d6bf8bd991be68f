"""Journeys 1 and 2: buy by card, and by bank transfer with staff moving the order to completed."""

from __future__ import annotations

from journeys_kit import (
    BILLING,
    DICHIARAZIONE,
    SITO,
    add_line,
    checkout,
    pay_by_card,
    register,
    wait_json,
    wait_status,
)


async def test_buy_by_card_from_anonymous_browsing_to_my_orders(api, sink):
    # Anonymous browsing: categories → category → service page with its form.
    categories = (await api.get("/api/catalog/categories")).json()
    assert "consulenza-fiscale" in [c["slug"] for c in categories]
    category = (await api.get("/api/catalog/categories/consulenza-fiscale")).json()
    assert DICHIARAZIONE in [s["slug"] for s in category["services"]]
    service = (await api.get(f"/api/catalog/services/{DICHIARAZIONE}")).json()
    assert service["pricing_mode"] == "fixed" and service["base_net_cents"] == 6000
    assert "modello" in [f["name"] for f in service["form"]["fields"]]

    # An anonymous cart with two services and their answers.
    session = await api.post("/api/cart/session")
    assert session.status_code == 201
    anon = {"X-Cart-Token": session.json()["cart_token"]}
    first = await add_line(api, anon, DICHIARAZIONE, {"modello": "730", "immobili": 2})
    assert first["unit_net_cents"] == 6000 + 2 * 1500
    second = await add_line(api, anon, SITO, {"lingue": "it", "blog": True})
    assert second["unit_net_cents"] == 90000 + 25000
    assert second["vat_cents"] == 25300 and second["gross_cents"] == 140300

    # The customer goes back to the first service and corrects the answers: re-priced.
    fixed = await api.patch(f"/api/cart/items/{first['id']}", headers=anon,
                            json={"answers": {"modello": "redditi-pf", "immobili": 2}})
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["unit_net_cents"] == 6000 + 4000 + 3000
    assert fixed.json()["gross_cents"] == 13000 + 2860

    # Register, then the anonymous cart is merged into the customer's.
    customer = await register(api)
    merged = await api.post("/api/cart/merge", headers={**customer.headers, **anon})
    assert merged.status_code == 200, merged.text
    cart = (await api.get("/api/cart", headers=customer.headers)).json()
    assert sorted(line["service"]["slug"] for line in cart["lines"]) == sorted([DICHIARAZIONE, SITO])
    assert cart["totals"] == {"net_cents": 128000, "vat_cents": 28160, "gross_cents": 156160}

    # Billing data saved for next time, then checkout by card.
    saved = await api.put("/api/accounts/me/billing", headers=customer.headers, json=BILLING)
    assert saved.status_code == 200, saved.text
    assert (await api.get("/api/accounts/me/billing", headers=customer.headers)).json()[
        "tax_code"] == BILLING["tax_code"]
    order_id = await checkout(api, customer, "card")
    order = await wait_status(api, f"/api/orders/{order_id}", customer.headers, "awaiting_payment")
    assert order["totals"]["gross_cents"] == 156160
    assert order["billing"]["tax_code"] == BILLING["tax_code"]
    assert (await api.get("/api/cart", headers=customer.headers)).json()["lines"] == []

    # Pay on the provider's page: the webhook comes back through the gateway, the order is paid.
    back = await pay_by_card(api, customer, order_id)
    assert back.status_code == 303
    order = await wait_status(api, f"/api/orders/{order_id}", customer.headers, "paid")
    assert [h["status"] for h in order["status_history"]] == ["awaiting_payment", "paid"]
    assert order["payment"]["method"] == "card"

    # The confirmation email, with the summary.
    number = order["number"]
    [mail] = await sink.wait(customer.email, f"Conferma d'ordine {number}")
    assert "Dichiarazione dei redditi" in mail["text"] and "Sito vetrina" in mail["text"]
    assert "1.561,60" in mail["text"]

    # I MIEI ORDINI.
    mine = (await api.get("/api/orders", headers=customer.headers)).json()["items"]
    assert [(o["id"], o["status"], o["total_gross_cents"]) for o in mine] == [
        (order_id, "paid", 156160)]


async def test_bank_transfer_confirmed_by_staff_then_worked_and_completed(api, sink, staff):
    customer = await register(api)
    await add_line(api, customer.headers, DICHIARAZIONE, {"modello": "730"})
    order_id = await checkout(api, customer, "bank_transfer")
    order = await wait_status(api, f"/api/orders/{order_id}", customer.headers, "awaiting_payment")
    number = order["number"]

    pay = await api.post(f"/api/orders/{order_id}/pay", headers=customer.headers)
    assert pay.status_code == 200, pay.text
    instructions = pay.json()
    assert instructions["amount_cents"] == 7320 and number in instructions["reference"]
    assert instructions["iban"]
    [received] = await sink.wait(customer.email, f"Ordine {number} ricevuto")
    assert instructions["iban"] in received["text"].replace(" ", "")

    confirmed = await api.post(f"/api/staff/orders/{order_id}/confirm-transfer", headers=staff)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "paid"
    await sink.wait(customer.email, f"Conferma d'ordine {number}")

    working = await api.post(f"/api/staff/orders/{order_id}/status", headers=staff,
                             json={"status": "in_progress"})
    assert working.status_code == 200, working.text
    note = "Dichiarazione trasmessa: protocollo 26041512345678."
    done = await api.post(f"/api/staff/orders/{order_id}/status", headers=staff,
                          json={"status": "completed", "note": note})
    assert done.status_code == 200, done.text

    order = await wait_status(api, f"/api/orders/{order_id}", customer.headers, "completed")
    assert [h["status"] for h in order["status_history"]] == [
        "awaiting_payment", "paid", "in_progress", "completed"]
    assert order["status_history"][-1]["note"] == note
    # An email for each step: received (with the instructions), paid, in progress, completed.
    await sink.wait(customer.email, f"Ordine {number}:", count=2)
    mails = [m for m in await sink.messages(customer.email) if number in m["subject"]]
    assert any(note in m["text"] for m in mails)
    assert len(mails) >= 4
    assert await wait_json(api, "/api/orders", customer.headers,
                           lambda b: b["items"][0]["status"] == "completed")
