"""A quote taxed as the checkout taxes it (sportello.contracts.tax): an exempt service's quote
carries no VAT, Natura N4 and its note, and the bollo — in the API, quote.issued, quote.accepted
and the PDF; with the billing data staff give, an EU business's reverse charge and a business
outside the EU's N2.1, kept on the revision."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

from pypdf import PdfReader
from sportello.contracts.events import AccountRegistered
from sportello.testing import EventTap, bearer, problem_fields, publish_event, wait_for
from sportello_quotes.models import Contact

from .conftest import rome_today

EXEMPT_NOTE = "Esente IVA art. 10, n. 20, DPR 633/72"
REVERSE_CHARGE_NOTE = "IVA: inversione contabile, art. 7-ter DPR 633/72"
# A German business with a VAT number valid in form (stdnum.eu.vat), as the tax rule's tests use.
GERMAN_BUSINESS = {
    "customer_type": "azienda", "company_name": "Beispiel GmbH", "vat_number": "DE136695976",
    "address": {"street": "Friedrichstraße 1", "postal_code": "10117", "city": "Berlin",
                "country": "DE"},
    "email": "Einkauf@Beispiel.de",
}
SWISS_BUSINESS = {
    "customer_type": "azienda", "company_name": "Beispiel AG", "vat_number": "CHE-123.456.788",
    "address": {"street": "Bahnhofstrasse 1", "postal_code": "8001", "city": "Zürich",
                "country": "CH"},
    "email": "einkauf@beispiel.ch",
}


async def test_an_exempt_service_is_quoted_without_vat_with_n4_and_the_bollo(client, settings,
                                                                           quotes):
    data = quotes.request(lines=2)
    # The cart sends the service's exemption with each line (a course at the ordinary rate, as
    # the catalog may keep it, and exempt by art. 10 n. 20), beside a taxed line.
    course = data.lines[0].model_copy(update={"vat_exemption": "art10_n20", "quantity": 1})
    data = data.model_copy(update={"lines": [course, data.lines[1]]})
    await quotes.submit(data)
    requested = (await quotes.get(data)).json()
    assert [line["vat_exemption"] for line in requested["lines"]] == ["art10_n20", None]

    async with EventTap(settings, "quote.issued", "quote.accepted") as tap:
        r = await quotes.issue(data, prices=[90000, 10000])
        assert r.status_code == 200, r.text
        [issued] = await tap.wait_for("quote.issued", lambda d: d["quote_id"] == str(data.quote_id))
        # 900,00 € exempt; 2 × 100,00 € at 22 %; 2,00 € bollo (exempt amounts over 77,47 €).
        expected = {
            "net_cents": 110000, "vat_cents": 4400, "stamp_duty_cents": 200,
            "gross_cents": 110000 + 4400 + 200, "notes": [EXEMPT_NOTE],
            "vat_groups": [
                {"vat_rate_bp": 0, "vat_nature": "N4", "taxable_cents": 90000, "vat_cents": 0,
                 "note": EXEMPT_NOTE},
                {"vat_rate_bp": 2200, "vat_nature": None, "taxable_cents": 20000,
                 "vat_cents": 4400, "note": None}]}
        assert issued.data["totals"] == expected
        exempt = issued.data["lines"][0]
        assert (exempt["vat_exemption"], exempt["vat_cents"], exempt["gross_cents"]) == (
            "art10_n20", 0, 90000)
        assert exempt["treatment"]["vat_nature"] == "N4"

        mine = (await quotes.get(data)).json()
        assert mine["totals"] == expected
        assert mine["lines"][0]["vat_exemption"] == "art10_n20"
        assert mine["lines"][0]["treatment"]["vat_note"] == EXEMPT_NOTE
        assert (mine["lines"][0]["vat_cents"], mine["lines"][1]["vat_cents"]) == (0, 4400)
        listed = (await client.get("/api/quotes", headers=quotes.customer(data))).json()["items"]
        assert listed[0]["total_gross_cents"] == 114600
        staff = (await client.get(f"/api/staff/quotes/{data.quote_id}", headers=quotes.staff)).json()
        assert staff["revisions"][0]["totals"] == expected

        pdf = await client.get(f"/api/quotes/{data.quote_id}/pdf", headers=quotes.customer(data))
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "N4" in text and EXEMPT_NOTE in text
        assert "Imposta di bollo" in text and "1.146,00 €" in text

        r = await client.post(f"/api/quotes/{data.quote_id}/accept", headers=quotes.customer(data))
        assert r.status_code == 202, r.text
        [accepted] = await tap.wait_for("quote.accepted",
                                        lambda d: d["quote_id"] == str(data.quote_id))
    # The cart takes the lines with their exemption: the checkout taxes them by the same rule.
    assert [(ln["vat_exemption"], ln["vat_cents"]) for ln in accepted.data["lines"]] == [
        ("art10_n20", 0), (None, 4400)]


async def test_the_bollo_is_not_in_the_customers_total_when_the_seller_keeps_it(client, quotes,
                                                                              monkeypatch):
    data = quotes.request(lines=1)
    data = data.model_copy(update={"lines": [data.lines[0].model_copy(
        update={"vat_exemption": "art10_n20"})]})
    await quotes.submit(data)
    monkeypatch.setattr(client.app.state.settings, "stamp_duty_charged", False)
    r = await quotes.issue(data, prices=[50000])
    assert r.status_code == 200, r.text
    totals = r.json()["totals"]
    assert (totals["vat_cents"], totals["stamp_duty_cents"], totals["gross_cents"]) == (0, 0, 50000)
    assert totals["notes"] == [EXEMPT_NOTE]


async def test_issued_for_an_eu_business_the_quote_is_reverse_charged_and_the_revision_keeps_it(
        client, settings, quotes):
    data = quotes.request(lines=2)
    # An exempt course beside a taxed line: for a business abroad neither carries Italian VAT
    # nor counts for the bollo.
    course = data.lines[0].model_copy(update={"vat_exemption": "art10_n20", "quantity": 1})
    data = data.model_copy(update={"lines": [course, data.lines[1]]})
    await quotes.submit(data)

    async with EventTap(settings, "quote.issued") as tap:
        r = await quotes.issue(data, prices=[90000, 10000], billing=GERMAN_BUSINESS)
        assert r.status_code == 200, r.text
        [issued] = await tap.wait_for("quote.issued", lambda d: d["quote_id"] == str(data.quote_id))
    expected = {
        "net_cents": 110000, "vat_cents": 0, "stamp_duty_cents": 0, "gross_cents": 110000,
        "notes": [REVERSE_CHARGE_NOTE],
        "vat_groups": [{"vat_rate_bp": 0, "vat_nature": "N2.1", "taxable_cents": 110000,
                        "vat_cents": 0, "note": REVERSE_CHARGE_NOTE}]}
    assert issued.data["totals"] == expected
    assert [ln["treatment"]["reverse_charge"] for ln in issued.data["lines"]] == [True, True]
    # Kept as the checkout keeps it: normalised (the email lower-case).
    assert issued.data["billing"]["vat_number"] == "DE136695976"
    assert issued.data["billing"]["email"] == "einkauf@beispiel.de"

    mine = (await quotes.get(data)).json()
    assert mine["totals"] == expected and mine["billing"]["company_name"] == "Beispiel GmbH"
    assert [(ln["vat_cents"], ln["treatment"]["vat_nature"]) for ln in mine["lines"]] == [
        (0, "N2.1"), (0, "N2.1")]
    listed = (await client.get("/api/quotes", headers=quotes.customer(data))).json()["items"]
    assert listed[0]["total_gross_cents"] == 110000

    pdf = await client.get(f"/api/quotes/{data.quote_id}/pdf", headers=quotes.customer(data))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Beispiel GmbH" in text and "P. IVA DE136695976" in text and "Berlin" in text
    assert REVERSE_CHARGE_NOTE in text and "N2.1" in text and "Imposta di bollo" not in text
    assert "consumatore in Italia" not in text

    # A re-issue without billing data is taxed for an Italian consumer; revision 1 stays as issued.
    r = await quotes.issue(data, prices=[90000, 10000])
    assert r.status_code == 200, r.text
    staff = (await client.get(f"/api/staff/quotes/{data.quote_id}", headers=quotes.staff)).json()
    first, second = staff["revisions"]
    assert first["totals"] == expected and first["billing"]["vat_number"] == "DE136695976"
    assert second["billing"] is None and staff["billing"] is None
    assert (second["totals"]["vat_cents"], second["totals"]["stamp_duty_cents"]) == (4400, 200)


async def test_bad_billing_data_are_a_422_naming_the_field_and_change_nothing(client, quotes):
    data = await quotes.submit(lines=1)
    no_vat_number = {k: v for k, v in GERMAN_BUSINESS.items() if k != "vat_number"}
    r = await quotes.issue(data, billing=no_vat_number)
    assert r.status_code == 422, r.text
    assert "billing.vat_number" in problem_fields(r.json())
    # A malformed shape is named too (the contract's own validation).
    r = await quotes.issue(data, billing={**GERMAN_BUSINESS, "address": {"city": "Berlin"}})
    assert r.status_code == 422, r.text
    assert any(f.startswith("billing.address") for f in problem_fields(r.json()))

    staff = (await client.get(f"/api/staff/quotes/{data.quote_id}", headers=quotes.staff)).json()
    assert (staff["status"], staff["revision"], staff["revisions"]) == ("requested", 0, [])
    rows = await quotes.sql("SELECT count(*) FROM outbox WHERE event_type = 'quote.issued' "
                            "AND envelope->'data'->>'quote_id' = :id", id=str(data.quote_id))
    assert rows[0][0] == 0


async def test_without_billing_data_a_quote_is_taxed_for_an_italian_consumer_as_before(client,
                                                                                     quotes):
    data = await quotes.submit(lines=1)
    r = await quotes.issue(data, prices=[10000])
    assert r.status_code == 200, r.text
    quote = r.json()
    assert quote["billing"] is None and quote["revisions"][0]["billing"] is None
    assert (quote["totals"]["vat_cents"], quote["totals"]["notes"]) == (2200, [])
    pdf = await client.get(f"/api/quotes/{data.quote_id}/pdf", headers=quotes.customer(data))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "consumatore in Italia" in text and "Giulia Bianchi" in text


async def test_a_quote_staff_start_for_a_business_outside_the_eu_is_not_subject_to_vat(
        client, settings, quotes):
    customer_id = uuid.uuid4()
    await publish_event(settings, "account.registered", AccountRegistered(
        account_id=customer_id, email=f"ch-{customer_id.hex[:8]}@example.ch", first_name="Urs",
        last_name="Meier"), producer="accounts")

    async def replicated():
        async with client.app.state.sessionmaker() as session:
            return await session.get(Contact, customer_id) is not None
    await wait_for(replicated, message="contact replicated")
    body = {"customer_id": str(customer_id),
            "valid_until": (rome_today() + timedelta(days=15)).isoformat(),
            "lines": [{"description": "Consulenza", "quantity": 2, "unit_net_cents": 50000}]}

    r = await client.post("/api/staff/quotes", headers=quotes.staff, json={
        **body, "billing": {**SWISS_BUSINESS, "vat_number": None}})
    assert r.status_code == 422, r.text
    assert "billing.vat_number" in problem_fields(r.json())
    mine = (await client.get("/api/quotes", headers=bearer(settings, customer_id))).json()
    assert mine["items"] == []

    r = await client.post("/api/staff/quotes", headers=quotes.staff,
                          json={**body, "billing": SWISS_BUSINESS})
    assert r.status_code == 201, r.text
    quote = r.json()
    note = "Operazione non soggetta a IVA, art. 7-ter DPR 633/72"
    assert (quote["totals"]["net_cents"], quote["totals"]["vat_cents"],
            quote["totals"]["gross_cents"], quote["totals"]["notes"]) == (100000, 0, 100000, [note])
    assert quote["lines"][0]["treatment"]["vat_nature"] == "N2.1"
    assert quote["revisions"][0]["billing"]["company_name"] == "Beispiel AG"
