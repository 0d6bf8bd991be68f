"""The tax of a checkout as the order keeps and shows it: exempt training with the stamp duty,
a German business under reverse charge with its VAT number not verified by VIES."""

from __future__ import annotations

import uuid

from orders_testkit import checkout
from sportello.contracts.billing import Address, Billing
from sportello.contracts.events import PricedLine, ServiceRef
from sportello.contracts.tax import document_totals, taxed_amounts
from sportello.testing import publish_event

GERMAN_BUSINESS = Billing(
    customer_type="azienda", company_name="Beispiel GmbH", vat_number="DE136695976",
    address=Address(street="Friedrichstraße 1", postal_code="10117", city="Berlin", country="DE"),
    email="einkauf@beispiel.de")


def taxed_checkout(customer_id, billing: Billing | None, unit: int, rate: int,
                   exemption: str | None, **extra):
    """A checkout as the cart publishes it: one line taxed by the shared rule for `billing`."""
    event = checkout(customer_id, "card")
    billing = billing or event.billing
    amounts, treatment = taxed_amounts(unit, 1, rate, exemption, billing)
    line = PricedLine(line_id=uuid.uuid4(), service=ServiceRef(slug="corso", name="Corso", version=1),
                      answers={}, answer_labels=[], vat_exemption=exemption, treatment=treatment,
                      **amounts.model_dump())
    return event.model_copy(update={
        "lines": [line], "billing": billing, "totals": document_totals([(amounts, treatment)]),
        **extra})


async def test_an_exempt_course_above_77_47_keeps_n4_and_the_stamp_duty_in_its_total(shop):
    me = shop.customer()
    event = taxed_checkout(me.id, None, 12_000, 0, "art10_n20")
    await publish_event(shop.settings, "cart.checked_out", event, producer="cart")
    order = await shop.order_when(me, event.order_id, lambda o: True)
    assert order["lines"][0]["treatment"]["vat_nature"] == "N4"
    assert order["lines"][0]["vat_exemption"] == "art10_n20"
    assert (order["totals"]["gross_cents"], order["totals"]["stamp_duty_cents"]) == (12_200, 200)
    assert order["total_gross_cents"] == 12_200
    assert order["totals"]["notes"] == ["Esente IVA art. 10, n. 20, DPR 633/72"]


async def test_a_german_business_order_is_net_under_reverse_charge_and_not_verified(shop):
    me = shop.customer()
    event = taxed_checkout(me.id, GERMAN_BUSINESS, 50_000, 2200, None,
                           vat_number_check="not_verified")
    await publish_event(shop.settings, "cart.checked_out", event, producer="cart")
    order = await shop.order_when(me, event.order_id, lambda o: True)
    assert (order["totals"]["vat_cents"], order["totals"]["gross_cents"]) == (0, 50_000)
    assert [(g["vat_nature"], g["taxable_cents"]) for g in order["totals"]["vat_groups"]] == [
        ("N2.1", 50_000)]
    assert order["totals"]["notes"] == ["IVA: inversione contabile, art. 7-ter DPR 633/72"]
    assert order["vat_number_check"] == "not_verified"
