"""A quote taxed as the checkout taxes it (sportello.contracts.tax): an exempt service's quote
carries no VAT, Natura N4 and its note, and the bollo — in the API, quote.issued, quote.accepted
and the PDF."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sportello.testing import EventTap

EXEMPT_NOTE = "Esente IVA art. 10, n. 20, DPR 633/72"


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
