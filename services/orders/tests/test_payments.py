"""Paying: the sandbox provider as a real process (hosted page, redirect, signed webhooks with
retries), the webhook's signature, replays and out-of-order events, and the bank transfer."""

from __future__ import annotations

import asyncio
import time
import uuid

from orders_testkit import (
    DECLINED,
    NEEDS_CONFIRMATION,
    SUCCEEDS,
    sandbox_webhook,
    session_id_of,
    sign,
)
from sportello.testing import wait_for

WEBHOOK = "/api/payments/webhooks/sandbox"


async def test_card_payment_on_the_hosted_page_marks_the_order_paid(shop, tap):
    me = shop.customer()
    order = await shop.place(me)
    r = await shop.pay(me, order["id"], SUCCEEDS)
    assert r.status_code == 303
    assert r.headers["location"].startswith(
        f"{shop.settings.storefront_url}/ordini/{order['id']}/esito?")
    assert "esito=ok" in r.headers["location"]

    paid = await shop.order_when(me, order["id"], lambda o: o["status"] == "paid")
    assert paid["payment"]["status"] == "paid" and paid["payment"]["paid_at"]
    assert not paid["can_pay"] and not paid["can_cancel"]
    [event] = await tap.wait_for("order.paid", lambda d: d["order_id"] == order["id"])
    assert event.data["totals"]["gross_cents"] == order["total_gross_cents"]
    assert event.data["payment_method"] == "card"
    # Card data stays with the provider: neither the webhook nor the order carries it.
    [webhook] = await shop.delivered_events(session_id_of(r))
    assert "4242" not in str(webhook) and "4242" not in str(paid)


async def test_declined_card_then_retry_succeeds(shop, tap):
    me = shop.customer()
    order = await shop.place(me)
    r = await shop.pay(me, order["id"], DECLINED)
    assert "esito=ko" in r.headers["location"]
    failed = await shop.order_when(me, order["id"], lambda o: o["status"] == "payment_failed")
    assert failed["can_pay"] and failed["payment"]["status"] == "failed"
    assert failed["status_history"][-1]["note"].startswith("Pagamento non riuscito: la carta")
    [event] = await tap.wait_for("order.payment_failed", lambda d: d["order_id"] == order["id"])
    assert event.data["reason"] == "carta_rifiutata"

    r = await shop.pay(me, order["id"], SUCCEEDS)
    assert "esito=ok" in r.headers["location"]
    paid = await shop.order_when(me, order["id"], lambda o: o["status"] == "paid")
    assert [h["status"] for h in paid["status_history"]] == [
        "awaiting_payment", "payment_failed", "paid"]
    await tap.wait_for("order.paid", lambda d: d["order_id"] == order["id"])


async def test_card_needing_a_second_step_pays_after_confirmation(shop):
    me = shop.customer()
    order = await shop.place(me)
    r = await shop.pay(me, order["id"], NEEDS_CONFIRMATION)
    assert r.status_code == 303 and r.headers["location"].endswith("/conferma")
    confirm_url = shop.settings.payment_sandbox_url + r.headers["location"]
    page = await shop.browser.get(confirm_url)
    assert "Conferma il pagamento" in page.text
    # Nothing is decided before the second step.
    assert (await shop.order(me, order["id"])).json()["status"] == "awaiting_payment"
    done = await shop.browser.post(confirm_url, data={"scelta": "autorizza"})
    assert "esito=ok" in done.headers["location"]
    await shop.order_when(me, order["id"], lambda o: o["status"] == "paid")


async def test_the_card_form_answers_in_italian_and_decides_nothing_on_bad_input(shop):
    me = shop.customer()
    order = await shop.place(me)
    url = await shop.open_payment_page(me, order["id"])
    r = await shop.browser.post(url, data={"card_number": "1234 5678 9012 3456",
                                           "expiry": "01/20", "cvc": "1", "holder": ""})
    assert r.status_code == 422
    for message in ("Numero di carta non valido.", "La carta è scaduta.",
                    "Il codice di sicurezza (CVC) ha 3 o 4 cifre.", "Indica il titolare"):
        assert message in r.text
    assert (await shop.order(me, order["id"])).json()["status"] == "awaiting_payment"


async def test_forged_and_stale_webhooks_are_rejected_and_change_nothing(shop):
    me = shop.customer()
    order = await shop.place(me)
    secret = shop.settings.payment_sandbox_secret
    forged_body, forged_headers = sandbox_webhook("not-the-secret", order["id"])
    stale_body, stale_headers = sandbox_webhook(secret, order["id"],
                                                timestamp=int(time.time()) - 301)
    body, headers = sandbox_webhook(secret, order["id"])
    tampered = body.replace(b"succeeded", b"failed")
    cases = [(forged_body, forged_headers), (stale_body, stale_headers),
             (tampered, headers), (body, {"Content-Type": "application/json"}),
             (body, {"Sandbox-Signature": "garbage"})]
    for content, hdrs in cases:
        r = await shop.api.post(WEBHOOK, content=content, headers=hdrs)
        assert r.status_code == 400, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    assert (await shop.api.post("/api/payments/webhooks/stripe", content=body,
                                headers=headers)).status_code == 404
    assert (await shop.order(me, order["id"])).json()["status"] == "awaiting_payment"

    # The genuine one (within the 5 minutes) is accepted.
    fresh_body, fresh_headers = sandbox_webhook(secret, order["id"],
                                                timestamp=int(time.time()) - 200,
                                                amount_cents=order["total_gross_cents"])
    r = await shop.api.post(WEBHOOK, content=fresh_body, headers=fresh_headers)
    assert r.status_code == 200 and r.json()["result"] == "applied"
    assert (await shop.order(me, order["id"])).json()["status"] == "paid"


async def test_a_replayed_webhook_changes_nothing(shop, tap):
    me = shop.customer()
    order = await shop.place(me)
    r = await shop.pay(me, order["id"], DECLINED)
    session_id = session_id_of(r)
    [failure] = await shop.delivered_events(session_id)
    await shop.order_when(me, order["id"], lambda o: o["status"] == "payment_failed")

    # The provider delivers the same event again (its "resend"): recorded id, no effect.
    assert (await shop.browser.post(f"{shop.settings.payment_sandbox_url}/v1/events/"
                                    f"{failure['id']}/resend")).status_code == 202
    await wait_for(lambda: _deliveries(shop, session_id, 2), message="second delivery")
    # An attacker replaying a captured body with a fresh valid signature is no better off.
    body, headers = sandbox_webhook(shop.settings.payment_sandbox_secret, order["id"],
                                    outcome="failed", event_id=failure["id"],
                                    session_id=session_id)
    r = await shop.api.post(WEBHOOK, content=body, headers=headers)
    assert r.status_code == 200 and r.json()["result"] == "duplicate"

    r = await shop.pay(me, order["id"], SUCCEEDS)
    await shop.order_when(me, order["id"], lambda o: o["status"] == "paid")
    paid_session = session_id_of(r)
    [success] = await shop.delivered_events(paid_session)
    await shop.browser.post(f"{shop.settings.payment_sandbox_url}/v1/events/{success['id']}/resend")
    await wait_for(lambda: _deliveries(shop, paid_session, 2), message="second delivery")

    final = (await shop.order(me, order["id"])).json()
    assert [h["status"] for h in final["status_history"]] == [
        "awaiting_payment", "payment_failed", "paid"]
    assert len([e for e in tap.of_type("order.payment_failed")
                if e.data["order_id"] == order["id"]]) == 1
    assert len([e for e in tap.of_type("order.paid") if e.data["order_id"] == order["id"]]) == 1


async def _deliveries(shop, session_id: str, n: int) -> bool:
    events = (await shop.sandbox_session(session_id))["events"]
    return any(sum(1 for d in e["deliveries"] if d.get("status") == 200) >= n for e in events)


async def test_events_out_of_order_never_move_an_order_backwards(shop, tap):
    me = shop.customer()
    order = await shop.place(me)
    secret = shop.settings.payment_sandbox_secret
    first = await shop.pay(me, order["id"], DECLINED)
    await shop.order_when(me, order["id"], lambda o: o["status"] == "payment_failed")
    second = await shop.pay(me, order["id"], SUCCEEDS)
    await shop.order_when(me, order["id"], lambda o: o["status"] == "paid")

    # A late failure of the first attempt, and a failure claimed for the paid attempt.
    for session_id in (session_id_of(first), session_id_of(second)):
        body, headers = sandbox_webhook(secret, order["id"], outcome="failed",
                                        session_id=session_id, reason="carta_rifiutata")
        r = await shop.api.post(WEBHOOK, content=body, headers=headers)
        assert r.status_code == 200 and r.json()["result"] != "applied", r.text
    staff_view = await shop.api.get(f"/api/staff/orders/{order['id']}", headers=shop.staff)
    assert staff_view.json()["status"] == "paid"
    assert [h["status"] for h in staff_view.json()["status_history"]] == [
        "awaiting_payment", "payment_failed", "paid"]
    assert len([e for e in tap.of_type("order.payment_failed")
                if e.data["order_id"] == order["id"]]) == 1


async def test_a_success_for_the_wrong_amount_does_not_pay_the_order(shop):
    me = shop.customer()
    order = await shop.place(me)
    body, headers = sandbox_webhook(shop.settings.payment_sandbox_secret, order["id"],
                                    amount_cents=1)
    r = await shop.api.post(WEBHOOK, content=body, headers=headers)
    assert r.status_code == 200 and r.json()["result"] == "amount_mismatch"
    assert (await shop.order(me, order["id"])).json()["status"] == "awaiting_payment"


async def test_webhook_for_an_unknown_order_is_acknowledged_and_ignored(shop):
    body, headers = sandbox_webhook(shop.settings.payment_sandbox_secret, uuid.uuid4())
    r = await shop.api.post(WEBHOOK, content=body, headers=headers)
    assert r.status_code == 200 and r.json()["result"] == "unknown_order"


async def test_bank_transfer_instructions_then_staff_confirmation(shop, tap):
    me = shop.customer()
    quote_id = uuid.uuid4()
    order = await shop.place(me, "bank_transfer", quote_id=quote_id)
    expected = {"iban": shop.settings.bank_iban, "beneficiary": shop.settings.bank_beneficiary,
                "reference": order["number"], "amount_cents": order["total_gross_cents"]}
    assert order["payment"]["bank_transfer"] == expected
    r = await shop.api.post(f"/api/orders/{order['id']}/pay", headers=me.headers)
    assert r.status_code == 200 and r.json() == expected
    [placed] = await tap.wait_for("order.placed", lambda d: d["order_id"] == order["id"])
    assert placed.data["bank_transfer"] == expected

    r = await shop.api.post(f"/api/staff/orders/{order['id']}/confirm-transfer",
                            headers=shop.staff, json={"note": "Bonifico ricevuto il 3/12."})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "paid"
    [paid] = await tap.wait_for("order.paid", lambda d: d["order_id"] == order["id"])
    assert paid.data["quote_ids"] == [str(quote_id)]
    assert paid.data["payment_method"] == "bank_transfer"
    mine = (await shop.order(me, order["id"])).json()
    assert mine["status_history"][-1]["note"] == "Bonifico ricevuto il 3/12."
    assert mine["payment"]["bank_transfer"] is None  # nothing left to pay

    again = await shop.api.post(f"/api/staff/orders/{order['id']}/confirm-transfer",
                                headers=shop.staff)
    assert again.status_code == 409
    assert (await shop.api.post(f"/api/orders/{order['id']}/pay",
                                headers=me.headers)).status_code == 409


async def test_confirming_a_transfer_on_a_card_order_is_a_409(shop):
    me = shop.customer()
    order = await shop.place(me, "card")
    r = await shop.api.post(f"/api/staff/orders/{order['id']}/confirm-transfer",
                            headers=shop.staff)
    assert r.status_code == 409
    assert (await shop.order(me, order["id"])).json()["status"] == "awaiting_payment"


async def test_a_signed_success_without_an_amount_is_a_mismatch_and_staff_are_told(shop, tap):
    me = shop.customer()
    order = await shop.place(me)
    body, headers = sandbox_webhook(shop.settings.payment_sandbox_secret, order["id"])
    r = await shop.api.post(WEBHOOK, content=body, headers=headers)
    assert r.status_code == 200 and r.json()["result"] == "amount_mismatch"
    assert (await shop.order(me, order["id"])).json()["status"] == "awaiting_payment"
    [alert] = await tap.wait_for("order.payment_needs_staff", lambda d: d["order_id"] == order["id"])
    assert alert.data["reason"] == "amount_mismatch" and alert.data["amount_cents"] is None
    assert alert.data["expected_cents"] == order["total_gross_cents"]


async def test_bodies_that_do_not_parse_are_invalid_webhooks_never_500(shop):
    me = shop.customer()
    order = await shop.place(me)
    secret = shop.settings.payment_sandbox_secret
    deep = b"[" * 5000 + b"]" * 5000
    bodies = [
        b'{"id": "e1", "type": "payment.succeeded", "data": {"order_id": "%s", "amount_cents": 1e999}}'
        % order["id"].encode(),
        b'{"id": "e2", "type": "payment.succeeded", "data": {"order_id": "%s", "amount_cents": 12.5}}'
        % order["id"].encode(),
        b'{"id": "e3", "type": "payment.succeeded", "data": {"order_id": "%s", "amount_cents": "10"}}'
        % order["id"].encode(),
        b'{"id": "e4", "type": "payment.succeeded", "data": ' + deep + b"}",
        b"\xff\xfe not json", b"[]", b'{"id": "e5", "data": {"order_id": 12}}',
    ]
    for body in bodies:
        r = await shop.api.post(WEBHOOK, content=body, headers={
            "Sandbox-Signature": sign(secret, body), "Content-Type": "application/json"})
        assert r.status_code == 400, (body[:80], r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert (await shop.order(me, order["id"])).json()["status"] == "awaiting_payment"


async def test_a_non_ascii_signature_header_is_a_400_not_a_500(shop):
    body, _ = sandbox_webhook(shop.settings.payment_sandbox_secret, uuid.uuid4())
    r = await shop.api.post(WEBHOOK, content=body, headers={
        "Sandbox-Signature": f"t={int(time.time())},v1=èè".encode(),
        "Content-Type": "application/json"})
    assert r.status_code == 400, r.text


async def test_paying_twice_from_two_tabs_gets_the_same_payable_page(shop, tap):
    me = shop.customer()
    order = await shop.place(me)
    answers = await asyncio.gather(*(shop.api.post(f"/api/orders/{order['id']}/pay",
                                                   headers=me.headers) for _ in range(3)))
    assert {r.status_code for r in answers} == {200}
    assert len({r.json()["redirect_url"] for r in answers}) == 1
    # Paid on that one page; a success the provider still reports for another session of an
    # already paid order is put in front of staff, not applied twice.
    r = await shop.pay(me, order["id"], SUCCEEDS)
    assert "esito=ok" in r.headers["location"]
    await shop.order_when(me, order["id"], lambda o: o["status"] == "paid")
    body, headers = sandbox_webhook(shop.settings.payment_sandbox_secret, order["id"],
                                    amount_cents=order["total_gross_cents"])
    r = await shop.api.post(WEBHOOK, content=body, headers=headers)
    assert r.status_code == 200 and r.json()["result"] == "order_not_payable"
    [alert] = await tap.wait_for("order.payment_needs_staff", lambda d: d["order_id"] == order["id"])
    assert alert.data["reason"] == "order_not_payable" and alert.data["order_status"] == "paid"
    assert len([e for e in tap.of_type("order.paid") if e.data["order_id"] == order["id"]]) == 1
