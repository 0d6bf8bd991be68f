"""The live totals' rule without the system: the shared tax rule on typed prices, the bollo of
exempt lines, an EU business's reverse charge, the lines still without a price."""

from __future__ import annotations

from sportello.contracts.billing import Billing
from sportello_backoffice.routes.quote_totals import customer_billing, live_totals, render_block

QUOTE = {"id": "q", "lines": [
    {"line_id": "corso", "quantity": 2, "vat_rate_bp": 2200, "vat_exemption": "art10_n20"},
    {"line_id": "sito", "quantity": 1, "vat_rate_bp": 2200},
]}
GERMAN_BUSINESS = Billing.model_validate({
    "customer_type": "azienda", "company_name": "Beispiel GmbH", "vat_number": "DE136695976",
    "address": {"street": "Friedrichstraße 1", "postal_code": "10117", "city": "Berlin",
                "country": "DE"},
    "email": "einkauf@beispiel.de"})


def test_exempt_lines_over_the_threshold_carry_the_bollo_beside_the_vat_of_the_others():
    live = live_totals(QUOTE, {"prezzo-corso": "50,00", "prezzo-sito": "1.000"}, None, True)
    t = live.totals
    assert (t.net_cents, t.vat_cents, t.stamp_duty_cents, t.gross_cents) == (
        110000, 22000, 200, 132200)
    assert [(g.vat_rate_bp, g.vat_nature, g.taxable_cents) for g in t.vat_groups] == [
        (0, "N4", 10000), (2200, None, 100000)]
    html = render_block(QUOTE, live)
    assert "IVA 0 % (N4) su 100,00" in html and "Imposta di bollo" in html
    assert "Esente IVA art. 10, n. 20, DPR 633/72" in html
    # Not charged to the customer (the setting): no bollo line in their totals.
    assert live_totals(QUOTE, {"prezzo-corso": "50,00", "prezzo-sito": "1.000"}, None,
                       False).totals.stamp_duty_cents == 0


def test_an_eu_business_pays_the_net_with_the_reverse_charge_note():
    live = live_totals(QUOTE, {"prezzo-corso": "", "prezzo-sito": "2.000,00"}, GERMAN_BUSINESS,
                       True)
    assert (live.totals.vat_cents, live.totals.gross_cents) == (0, 200000)
    assert live.reverse_charge and live.missing == ["prezzo-corso"]
    html = render_block(QUOTE, live)
    assert "Inversione contabile" in html and "Manca il prezzo di una riga" in html


def test_a_billing_profile_the_tax_rule_cannot_read_counts_as_none():
    assert customer_billing({"billing_profile": {"customer_type": "privato"}}) is None
    assert customer_billing({"billing_profile": None}) is None
    assert customer_billing(None) is None


def test_a_saved_profile_the_checkout_would_refuse_counts_as_none_so_issuing_never_fails_on_it():
    profile = GERMAN_BUSINESS.model_dump(mode="json")
    assert customer_billing({"billing_profile": profile}) == GERMAN_BUSINESS
    # The shape reads, but an azienda without a VAT number is refused by quotes as by the checkout.
    assert customer_billing({"billing_profile": {**profile, "vat_number": None}}) is None
