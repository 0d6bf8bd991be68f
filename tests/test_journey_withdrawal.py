"""Issue 22 through the gateway: the conditions of sale a checkout must accept (kept on the
order, linked from the confirmation email with the withdrawal form), and a consumer's
withdrawal → staff alerted → pro-rata refund → refunded, each step emailed."""

from __future__ import annotations

import uuid

from journeys_kit import BILLING, DICHIARAZIONE, add_line, register, wait_status
from sportello.contracts.legal import TERMS_VERSION
from sportello.testing import problem_fields

AZIENDA = {"customer_type": "azienda", "company_name": "Rossi S.r.l.",
           "vat_number": "12345670017", "sdi_code": "ABC1234", "address": BILLING["address"],
           "email": "amministrazione@example.com"}


async def place(api, customer, billing: dict, **extra) -> str:
    r = await api.post("/api/cart/checkout",
                       headers={**customer.headers, "Idempotency-Key": uuid.uuid4().hex},
                       json={"billing": billing, "payment_method": "bank_transfer",
                             "terms_version": TERMS_VERSION, **extra})
    assert r.status_code == 202, r.text
    return r.json()["order_id"]


async def test_a_checkout_needs_the_terms_in_force_and_the_order_keeps_them(api, sink):
    terms = await api.get("/api/legal/terms")  # public: read before logging in
    assert terms.status_code == 200 and terms.json()["version"] == TERMS_VERSION
    assert terms.json()["url"].endswith(f"/condizioni-di-vendita/{TERMS_VERSION}")
    customer = await register(api)
    await add_line(api, customer.headers, DICHIARAZIONE, {"modello": "730"})
    for body in ({}, {"terms_version": "2019-01-01"}):
        r = await api.post("/api/cart/checkout",
                           headers={**customer.headers, "Idempotency-Key": uuid.uuid4().hex},
                           json={"billing": BILLING, "payment_method": "card", **body})
        assert r.status_code == 422 and set(problem_fields(r.json())) == {"terms_version"}
    order_id = await place(api, customer, BILLING, early_start_consent=True)
    order = await wait_status(api, f"/api/orders/{order_id}", customer.headers, "awaiting_payment")
    assert order["terms"]["version"] == TERMS_VERSION
    assert order["terms"]["url"].endswith(f"/condizioni-di-vendita/{TERMS_VERSION}")
    assert order["early_start_consent_at"] is not None

    [mail] = await sink.wait(customer.email, f"Ordine {order['number']} ricevuto")
    assert order["terms"]["url"] in mail["text"]
    assert "Modulo di recesso tipo".upper() in mail["text"].upper()
    assert "notifichiamo il recesso" in mail["text"] and "S.r.l.." not in mail["text"]


async def test_a_consumer_withdraws_and_staff_refund_pro_rata(api, sink, staff, system):
    customer = await register(api)
    await add_line(api, customer.headers, DICHIARAZIONE, {"modello": "730"})
    order_id = await place(api, customer, BILLING, early_start_consent=True)
    await wait_status(api, f"/api/orders/{order_id}", customer.headers, "awaiting_payment")
    early = await api.post(f"/api/orders/{order_id}/withdraw", headers=customer.headers, json={})
    assert early.status_code == 409  # unpaid: nothing to withdraw from, it can be cancelled
    paid = await api.post(f"/api/staff/orders/{order_id}/confirm-transfer", headers=staff)
    assert paid.status_code == 200, paid.text
    number, gross = paid.json()["number"], paid.json()["total_gross_cents"]
    listed = (await api.get("/api/orders", headers=customer.headers)).json()["items"]
    assert [o["can_withdraw"] for o in listed if o["id"] == order_id] == [True]

    r = await api.post(f"/api/orders/{order_id}/withdraw", headers=customer.headers,
                       json={"reason": "Non mi serve più."})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "withdrawal_requested" and r.json()["can_withdraw"] is False
    [ack] = await sink.wait(customer.email, f"Ordine {number}: abbiamo ricevuto il tuo recesso")
    assert "Non mi serve più." in ack["text"]
    [alert] = await sink.wait(system.settings.staff_email, f"Recesso dall'ordine {number}")
    assert "inizio anticipato" in alert["text"] and f"/api/staff/orders/{order_id}/refund" in (
        alert["text"])

    refund = f"/api/staff/orders/{order_id}/refund"
    assert (await api.post(refund, headers=customer.headers, json={})).status_code == 403
    too_much = await api.post(refund, headers=staff, json={"amount_cents": gross + 1, "note": "x"})
    assert too_much.status_code == 422 and set(problem_fields(too_much.json())) == {"amount_cents"}
    done = await api.post(refund, headers=staff, json={
        "amount_cents": gross // 2, "note": "Metà della pratica già svolta."})
    assert done.status_code == 200, done.text
    order = await wait_status(api, f"/api/orders/{order_id}", customer.headers, "refunded")
    assert order["refund"] == {"amount_cents": gross // 2, "note": "Metà della pratica già svolta."}
    [refunded] = await sink.wait(customer.email, f"Ordine {number}: rimborsato")
    assert "Importo rimborsato" in refunded["text"]


async def test_an_azienda_cannot_withdraw_and_its_early_start_is_not_kept(api, staff):
    customer = await register(api)
    await add_line(api, customer.headers, DICHIARAZIONE, {"modello": "730"})
    order_id = await place(api, customer, AZIENDA, early_start_consent=True)
    await wait_status(api, f"/api/orders/{order_id}", customer.headers, "awaiting_payment")
    paid = await api.post(f"/api/staff/orders/{order_id}/confirm-transfer", headers=staff)
    assert paid.status_code == 200, paid.text
    assert paid.json()["early_start_consent_at"] is None
    assert paid.json()["can_withdraw"] is False and paid.json()["withdrawal_until"] is None
    r = await api.post(f"/api/orders/{order_id}/withdraw", headers=customer.headers, json={})
    assert r.status_code == 409 and "consumatori" in r.json()["detail"]
