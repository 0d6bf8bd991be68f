"""The shared tax rule at the payment step (POST /api/cart/preview) and in cart.checked_out:
exempt training with the stamp duty, an EU business under reverse charge."""

from __future__ import annotations

from sportello.contracts.legal import TERMS_VERSION
from sportello.testing import EventTap

from .conftest import BILLING, Customer, publish, snapshot

# A German business with a VAT number valid in form (stdnum.eu.vat).
GERMAN_BUSINESS = {
    "customer_type": "azienda", "company_name": "Beispiel GmbH", "vat_number": "DE136695976",
    "address": {"street": "Friedrichstraße 1", "postal_code": "10117", "city": "Berlin",
                "country": "DE"},
    "email": "einkauf@beispiel.de",
}


async def _add(client, who: Customer, slug: str, quantity: int = 1) -> None:
    r = await client.post("/api/cart/items", headers=who.headers,
                          json={"service_slug": slug, "answers": {}, "quantity": quantity})
    assert r.status_code == 201, r.text


async def _checkout(settings, client, who: Customer, billing: dict) -> dict:
    async with EventTap(settings, "cart.checked_out") as tap:
        r = await client.post("/api/cart/checkout", headers=who.with_key("tax"),
                              json={"billing": billing, "terms_version": TERMS_VERSION,
                                    "payment_method": "card"})
        assert r.status_code == 202, r.text
        [event] = await tap.wait_for("cart.checked_out",
                                     where=lambda d: d["order_id"] == r.json()["order_id"])
    return event.data


async def test_exempt_training_above_77_47_is_n4_with_the_stamp_duty_in_the_total(settings, client,
                                                                                   customer):
    course = await publish(settings, client, snapshot(
        base_net_cents=12000, vat_rate_bp=0, fields=[], name="Corso GDPR"))
    course = await publish(settings, client, course.model_copy(
        update={"vat_exemption": "art10_n20", "version": 2}))
    await _add(client, customer, course.slug)

    r = await client.post("/api/cart/preview", headers=customer.headers, json={"billing": BILLING})
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["lines"][0]["treatment"]["vat_nature"] == "N4"
    assert preview["totals"]["stamp_duty_cents"] == 200
    assert (preview["totals"]["net_cents"], preview["totals"]["vat_cents"],
            preview["totals"]["gross_cents"]) == (12000, 0, 12200)
    assert preview["totals"]["notes"] == ["Esente IVA art. 10, n. 20, DPR 633/72"]

    data = await _checkout(settings, client, customer, BILLING)
    assert data["lines"][0]["vat_exemption"] == "art10_n20"
    assert data["lines"][0]["treatment"]["vat_nature"] == "N4"
    assert (data["totals"]["gross_cents"], data["totals"]["stamp_duty_cents"]) == (12200, 200)
    assert data["vat_number_check"] is None


async def test_exempt_training_up_to_77_47_carries_no_stamp_duty(settings, client, customer):
    course = await publish(settings, client, snapshot(base_net_cents=7747, vat_rate_bp=0, fields=[]))
    await publish(settings, client, course.model_copy(
        update={"vat_exemption": "art10_n20", "version": 2}))
    await _add(client, customer, course.slug)
    r = await client.post("/api/cart/preview", headers=customer.headers, json={"billing": BILLING})
    assert (r.json()["totals"]["stamp_duty_cents"], r.json()["totals"]["gross_cents"]) == (0, 7747)


async def test_a_german_business_pays_the_net_total_under_reverse_charge(settings, client, customer):
    site = await publish(settings, client, snapshot(base_net_cents=50000, fields=[]))
    await _add(client, customer, site.slug, quantity=2)

    r = await client.post("/api/cart/preview", headers=customer.headers,
                          json={"billing": GERMAN_BUSINESS})
    totals = r.json()["totals"]
    assert (totals["net_cents"], totals["vat_cents"], totals["gross_cents"]) == (100000, 0, 100000)
    assert totals["notes"] == ["IVA: inversione contabile, art. 7-ter DPR 633/72"]
    assert [(g["vat_nature"], g["taxable_cents"]) for g in totals["vat_groups"]] == [("N2.1", 100000)]

    data = await _checkout(settings, client, customer, GERMAN_BUSINESS)
    assert data["lines"][0]["treatment"]["reverse_charge"] is True
    assert data["totals"]["gross_cents"] == 100000
    # VIES cannot be reached from here: recorded, and the sale goes on.
    assert data["vat_number_check"] == "not_verified"


async def test_the_same_service_for_an_italian_consumer_carries_22_percent(settings, client, customer):
    site = await publish(settings, client, snapshot(base_net_cents=50000, fields=[]))
    await _add(client, customer, site.slug)
    r = await client.post("/api/cart/preview", headers=customer.headers, json={"billing": BILLING})
    assert (r.json()["totals"]["vat_cents"], r.json()["totals"]["gross_cents"]) == (11000, 61000)


async def test_preview_names_the_wrong_billing_field_and_needs_a_login(client, customer):
    r = await client.post("/api/cart/preview", headers=customer.headers,
                          json={"billing": {**GERMAN_BUSINESS, "vat_number": None}})
    assert r.status_code == 422
    assert "billing.vat_number" in r.text
    r = await client.post("/api/cart/preview", json={"billing": BILLING})
    assert r.status_code == 401


async def test_an_accepted_quote_for_exempt_training_keeps_the_exemption(settings, client, customer):
    import uuid

    from sportello.contracts.events import Contact, QuoteAccepted, QuotedLine, ServiceRef
    from sportello.testing import publish_event, wait_for

    course = await publish(settings, client, snapshot(base_net_cents=None, pricing_mode="quote",
                                                      vat_rate_bp=0, fields=[]))
    await publish(settings, client, course.model_copy(
        update={"vat_exemption": "art10_n20", "version": 2}))
    line = QuotedLine(line_id=uuid.uuid4(), service=ServiceRef(slug=course.slug, name="Corso",
                                                               version=2),
                      answers={}, answer_labels=[], quantity=1, unit_net_cents=90000, vat_rate_bp=0,
                      net_cents=90000, vat_cents=0, gross_cents=90000)
    await publish_event(settings, "quote.accepted", QuoteAccepted(
        quote_id=uuid.uuid4(), number="PV-2026-000099", lines=[line],
        customer=Contact(account_id=customer.id, email="q@example.it", first_name="Q",
                         last_name="C")), producer="quotes")

    async def in_cart():
        lines = (await client.get("/api/cart", headers=customer.headers)).json()["lines"]
        return lines or None
    await wait_for(in_cart, message="quoted line in the cart")
    r = await client.post("/api/cart/preview", headers=customer.headers, json={"billing": BILLING})
    assert r.json()["lines"][0]["treatment"]["vat_nature"] == "N4"
    assert (r.json()["totals"]["stamp_duty_cents"], r.json()["totals"]["gross_cents"]) == (200, 90200)
