"""A quote's live totals in the running back office: the figures of the typed prices, by the
shared tax rule, are the totals quotes then issues (an exempt course's N4 and bollo too); an EU
business's reverse charge is shown, and issued, from the customer's saved billing data."""

from __future__ import annotations

from sportello.testing.forms import post_form

from .conftest import (
    CORSO_ANSWERS,
    CORSO_SU_MISURA,
    customer_quote,
    register,
    request_quote,
    staff_login,
)

# A German business with a VAT number valid in form (stdnum.eu.vat): reverse charge applies.
GERMAN_BUSINESS = {
    "customer_type": "azienda", "company_name": "Beispiel GmbH", "vat_number": "DE136695976",
    "address": {"street": "Friedrichstraße 1", "postal_code": "10117", "city": "Berlin",
                "country": "DE"},
    "email": "einkauf@beispiel.de",
}


async def test_live_totals_of_typed_prices_are_what_the_quote_is_issued_with(office, api, system):
    customer = await register(api)
    quote = await request_quote(api, customer)
    await staff_login(office, system)
    path = f"/preventivi/{quote['id']}"
    field = f"prezzo-{quote['lines'][0]['line_id']}"

    page = (await office.get(path)).text
    assert 'id="totali-live"' in page and 'src="/static/quote-totals.js"' in page
    assert "Manca il prezzo di una riga" in page
    js = await office.get("/static/quote-totals.js")
    assert js.status_code == 200 and "totalsUrl" in js.text

    r = await office.get(f"{path}/totali", params={field: "nulla"})
    assert r.status_code == 200 and r.json()["complete"] is False
    assert r.json()["missing"] == [field] and r.json()["gross_cents"] == 0

    live = (await office.get(f"{path}/totali", params={field: "1.250,55"})).json()
    assert live["complete"] is True and live["reverse_charge"] is False
    assert live["stamp_duty_cents"] == 0
    assert [(g["vat_rate_bp"], g["taxable_cents"]) for g in live["vat_groups"]] == [(2200, 125055)]
    assert "IVA 22" in live["html"] and "1.250,55" in live["html"]

    r = await post_form(office, path, f"{path}/emetti",
                        {field: "1.250,55", "valid_until": quote_validity(), "note": ""})
    assert r.status_code == 303, r.text
    issued = await customer_quote(api, customer, quote["id"], "quoted")
    assert {k: live[k] for k in issued["totals"]} == issued["totals"]
    # Re-issuing starts from the issued prices: the page totals them without JavaScript.
    page = (await office.get(path)).text
    assert "Totali per il cliente" in page and "Manca il prezzo" not in page


async def test_an_exempt_course_is_totalled_with_n4_and_the_bollo_as_quotes_then_issues_it(
        office, api, system):
    customer = await register(api)
    quote = await request_quote(api, customer, slug=CORSO_SU_MISURA, answers=CORSO_ANSWERS)
    # The line's real exemption reaches the back office (it used to arrive as null).
    assert quote["lines"][0]["vat_exemption"] == "art10_n20"
    await staff_login(office, system)
    path = f"/preventivi/{quote['id']}"
    field = f"prezzo-{quote['lines'][0]['line_id']}"
    assert "Esente IVA" in (await office.get(path)).text

    live = (await office.get(f"{path}/totali", params={field: "1.500"})).json()
    assert [(g["vat_nature"], g["taxable_cents"]) for g in live["vat_groups"]] == [("N4", 150000)]
    assert (live["vat_cents"], live["stamp_duty_cents"], live["gross_cents"]) == (0, 200, 150200)
    assert "Esente IVA art. 10, n. 20, DPR 633/72" in live["html"]
    assert "Imposta di bollo" in live["html"]

    r = await post_form(office, path, f"{path}/emetti",
                        {field: "1.500", "valid_until": quote_validity(), "note": ""})
    assert r.status_code == 303, r.text
    issued = await customer_quote(api, customer, quote["id"], "quoted")
    assert {k: live[k] for k in issued["totals"]} == issued["totals"]
    assert issued["lines"][0]["treatment"]["vat_nature"] == "N4"


async def test_live_totals_show_the_reverse_charge_of_an_eu_business(office, api, system):
    customer = await register(api)
    r = await api.put("/api/accounts/me/billing", headers=customer.headers, json=GERMAN_BUSINESS)
    assert r.status_code == 200, r.text
    quote = await request_quote(api, customer)
    await staff_login(office, system)
    field = f"prezzo-{quote['lines'][0]['line_id']}"

    live = (await office.get(f"/preventivi/{quote['id']}/totali",
                             params={field: "2.000"})).json()
    assert live["reverse_charge"] is True and live["with_billing"] is True
    assert (live["net_cents"], live["vat_cents"], live["gross_cents"]) == (200000, 0, 200000)
    assert "inversione contabile, art. 7-ter" in live["html"]
    assert "Inversione contabile: il cliente è un" in live["html"]

    # Issued from the page: quotes taxes it for the same saved billing data, so the preventivo
    # says what staff saw (it used to come out at 22 % for an Italian consumer).
    path = f"/preventivi/{quote['id']}"
    r = await post_form(office, path, f"{path}/emetti",
                        {field: "2.000", "valid_until": quote_validity(), "note": ""})
    assert r.status_code == 303, r.text
    issued = await customer_quote(api, customer, quote["id"], "quoted")
    assert {k: live[k] for k in issued["totals"]} == issued["totals"]
    assert issued["lines"][0]["treatment"]["reverse_charge"] is True
    assert issued["billing"]["vat_number"] == GERMAN_BUSINESS["vat_number"]


def quote_validity() -> str:
    from datetime import date, timedelta

    return (date.today() + timedelta(days=20)).isoformat()
