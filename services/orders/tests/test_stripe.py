"""The Stripe adapter on the same interface: webhooks signed in the test exactly as Stripe signs
them (the library's own header generator), verified by `stripe.Webhook.construct_event`.

Stripe's live API cannot be reached from here: creating a Checkout Session is tested only for
its failure path (an unreachable API is a 502 and changes nothing)."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import stripe
from sportello.testing import running_service
from sportello_orders.app import service

SECRET = "whsec_test_sportello"
WEBHOOK = "/api/payments/webhooks/stripe"


@pytest.fixture(scope="module")
async def stripe_orders(stack):
    """A second orders instance (same database and queue, like a replica) configured for Stripe,
    its API pointed at a closed local port."""
    settings = stack.model_copy(update={
        "payment_provider": "stripe", "stripe_api_key": "sk_test_sportello",
        "stripe_webhook_secret": SECRET, "stripe_api_base": "http://127.0.0.1:9"})
    async with running_service(service, settings) as client:
        yield client


def stripe_event(order_id, event_type="checkout.session.completed", amount=None,
                 payment_status="paid", timestamp=None, secret=SECRET):
    payload = json.dumps({
        "id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": event_type,
        "api_version": "2024-06-20", "created": int(time.time()),
        "data": {"object": {"id": f"cs_test_{uuid.uuid4().hex}", "object": "checkout.session",
                            "client_reference_id": str(order_id), "amount_total": amount,
                            "currency": "eur", "payment_status": payment_status,
                            "metadata": {"order_id": str(order_id)}}},
    })
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
    return payload.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}


async def test_stripe_checkout_completed_marks_the_order_paid(shop, tap, stripe_orders):
    me = shop.customer()
    order = await shop.place(me)
    body, headers = stripe_event(order["id"], amount=order["total_gross_cents"])
    r = await stripe_orders.post(WEBHOOK, content=body, headers=headers)
    assert r.status_code == 200 and r.json()["result"] == "applied", r.text
    await shop.order_when(me, order["id"], lambda o: o["status"] == "paid")
    await tap.wait_for("order.paid", lambda d: d["order_id"] == order["id"])
    again = await stripe_orders.post(WEBHOOK, content=body, headers=headers)
    assert again.json()["result"] == "duplicate"


async def test_stripe_failed_async_payment_and_unsettled_completion(shop, stripe_orders):
    me = shop.customer()
    order = await shop.place(me)
    body, headers = stripe_event(order["id"], payment_status="unpaid")  # e.g. SEPA pending
    r = await stripe_orders.post(WEBHOOK, content=body, headers=headers)
    assert r.json()["result"] == "ignored_event_type"
    body, headers = stripe_event(order["id"], "checkout.session.async_payment_failed")
    r = await stripe_orders.post(WEBHOOK, content=body, headers=headers)
    assert r.json()["result"] == "applied"
    await shop.order_when(me, order["id"], lambda o: o["status"] == "payment_failed")


async def test_stripe_webhooks_with_bad_signatures_are_rejected(shop, stripe_orders):
    me = shop.customer()
    order = await shop.place(me)
    cases = [stripe_event(order["id"], secret="whsec_wrong"),
             stripe_event(order["id"], timestamp=int(time.time()) - 301)]
    body, headers = stripe_event(order["id"])
    cases.append((body.replace(b"paid", b"unpaid"), headers))
    cases.append((b"not json", headers))
    for content, hdrs in cases:
        r = await stripe_orders.post(WEBHOOK, content=content, headers=hdrs)
        assert r.status_code == 400, r.text
    # Under Stripe, the sandbox's endpoint does not exist.
    assert (await stripe_orders.post("/api/payments/webhooks/sandbox", content=body,
                                     headers=headers)).status_code == 404
    assert (await shop.order(me, order["id"])).json()["status"] == "awaiting_payment"


async def test_unreachable_stripe_api_is_a_502_and_changes_nothing(shop, stripe_orders):
    me = shop.customer()
    order = await shop.place(me)
    r = await stripe_orders.post(f"/api/orders/{order['id']}/pay", headers=me.headers)
    assert r.status_code == 502, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await shop.order(me, order["id"])).json()["status"] == "awaiting_payment"
