"""Journey 3: a quote from request to order, and the ways a quote can end otherwise."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from journeys_kit import (
    SU_MISURA,
    add_line,
    checkout,
    pay_by_card,
    register,
    valid_until,
    wait_json,
    wait_status,
)
from sportello.testing import wait_for

ANSWERS = {"progetto": "Un portale di prenotazioni per tre studi medici.", "budget": "5k-15k"}
# Quote only and exempt (accredited training, art. 10 n. 20 DPR 633/72), in the demo catalog.
CORSO_SU_MISURA = "formazione-su-misura"
CORSO_ANSWERS = {"argomento": "Primo soccorso in azienda", "partecipanti": 8, "modalita": "sede"}


async def request_quote(api, customer, message: str = "Vorremmo partire a marzo.",
                        slug: str = SU_MISURA, answers: dict | None = None) -> str:
    await add_line(api, customer.headers, slug, answers or ANSWERS, quote=True)
    r = await api.post("/api/cart/quote/submit",
                       headers={**customer.headers, "Idempotency-Key": uuid.uuid4().hex},
                       json={"message": message})
    assert r.status_code == 202, r.text
    quote_id = r.json()["quote_id"]
    await wait_status(api, f"/api/quotes/{quote_id}", customer.headers, "requested")
    return quote_id


async def issue(api, staff, quote_id: str, unit_net_cents: int = 480000, days: int = 30,
                billing: dict | None = None):
    view = await api.get(f"/api/staff/quotes/{quote_id}", headers=staff)
    assert view.status_code == 200, view.text
    lines = [{"line_id": line["line_id"], "unit_net_cents": unit_net_cents}
             for line in view.json()["lines"]]
    body = {"lines": lines, "valid_until": valid_until(days),
            "note": "Include tre mesi di assistenza."}
    if billing is not None:
        body["billing"] = billing
    r = await api.post(f"/api/staff/quotes/{quote_id}/issue", headers=staff, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "quoted"
    return r.json()


async def test_quote_requested_priced_accepted_bought_and_ordered(api, sink, staff, system):
    customer = await register(api)
    quote_id = await request_quote(api, customer, "Vorremmo partire a marzo.")
    quote = (await api.get(f"/api/quotes/{quote_id}", headers=customer.headers)).json()
    assert quote["message"] == "Vorremmo partire a marzo."
    number = quote["number"]
    # The customer's confirmation and the staff alert.
    await sink.wait(customer.email, f"Richiesta di preventivo {number} ricevuta")
    await sink.wait(system.settings.staff_email, f"Nuova richiesta di preventivo {number}")
    staff_view = (await api.get(f"/api/staff/quotes/{quote_id}", headers=staff)).json()
    assert customer.email in str(staff_view)

    await issue(api, staff, quote_id, unit_net_cents=480000)
    [ready] = await sink.wait(customer.email, f"Il tuo preventivo {number} è pronto")
    assert "Include tre mesi di assistenza." in ready["text"]
    mine = await wait_status(api, f"/api/quotes/{quote_id}", customer.headers, "quoted")
    assert mine["staff_note"] == "Include tre mesi di assistenza."

    accepted = await api.post(f"/api/quotes/{quote_id}/accept", headers=customer.headers)
    assert accepted.status_code == 202, accepted.text
    cart = await wait_json(api, "/api/cart", customer.headers,
                           lambda c: any(line.get("locked_by_quote") == quote_id
                                         for line in c["lines"]))
    [line] = [ln for ln in cart["lines"] if ln.get("locked_by_quote") == quote_id]
    assert line["unit_net_cents"] == 480000 and line["gross_cents"] == 480000 + 105600
    # A locked line keeps the quoted answers and price.
    locked = await api.patch(f"/api/cart/items/{line['id']}", headers=customer.headers,
                             json={"quantity": 2})
    assert locked.status_code == 409

    order_id = await checkout(api, customer, "card")
    await wait_status(api, f"/api/orders/{order_id}", customer.headers, "awaiting_payment")
    await pay_by_card(api, customer, order_id)
    order = await wait_status(api, f"/api/orders/{order_id}", customer.headers, "paid")
    assert order["totals"]["gross_cents"] == 585600
    final = await wait_status(api, f"/api/quotes/{quote_id}", customer.headers, "ordered")
    assert [h["status"] for h in final["status_history"]] == [
        "requested", "quoted", "accepted", "ordered"]


async def test_an_exempt_course_is_quoted_and_ordered_with_the_same_totals_n4_and_bollo(
        api, sink, staff):
    customer = await register(api)
    quote_id = await request_quote(api, customer, "Per otto dipendenti.", slug=CORSO_SU_MISURA,
                                   answers=CORSO_ANSWERS)
    await issue(api, staff, quote_id, unit_net_cents=120000)
    quote = await wait_status(api, f"/api/quotes/{quote_id}", customer.headers, "quoted")
    # 1.200,00 € exempt (0 %, N4) and the 2,00 € bollo: what the checkout will charge.
    totals = quote["totals"]
    assert (totals["net_cents"], totals["vat_cents"], totals["stamp_duty_cents"],
            totals["gross_cents"]) == (120000, 0, 200, 120200)
    assert totals["notes"] == ["Esente IVA art. 10, n. 20, DPR 633/72"]
    assert quote["lines"][0]["vat_exemption"] == "art10_n20"
    [ready] = await sink.wait(customer.email, f"Il tuo preventivo {quote['number']} è pronto")
    assert "Imposta di bollo" in ready["text"] and "1.202,00" in ready["text"]

    accepted = await api.post(f"/api/quotes/{quote_id}/accept", headers=customer.headers)
    assert accepted.status_code == 202, accepted.text
    await wait_json(api, "/api/cart", customer.headers,
                    lambda c: any(line.get("locked_by_quote") == quote_id for line in c["lines"]))
    order_id = await checkout(api, customer, "card")
    order = await wait_status(api, f"/api/orders/{order_id}", customer.headers, "awaiting_payment")
    assert order["totals"] == totals
    assert order["lines"][0]["vat_exemption"] == "art10_n20"
    assert order["lines"][0]["treatment"]["vat_nature"] == "N4"


async def test_an_eu_business_is_quoted_and_ordered_with_the_same_reverse_charged_totals(
        api, staff):
    customer = await register(api)
    german = {"customer_type": "azienda", "company_name": "Beispiel GmbH",
              "vat_number": "DE136695976", "email": "einkauf@beispiel.de",
              "address": {"street": "Friedrichstraße 1", "postal_code": "10117",
                          "city": "Berlin", "country": "DE"}}
    quote_id = await request_quote(api, customer, "Per la nostra filiale di Berlino.")
    await issue(api, staff, quote_id, unit_net_cents=300000, billing=german)
    quote = await wait_status(api, f"/api/quotes/{quote_id}", customer.headers, "quoted")
    totals = quote["totals"]
    # The net only: the customer self-accounts VAT (art. 7-ter), as the checkout will charge.
    assert (totals["net_cents"], totals["vat_cents"], totals["gross_cents"]) == (300000, 0, 300000)
    assert totals["notes"] == ["IVA: inversione contabile, art. 7-ter DPR 633/72"]

    accepted = await api.post(f"/api/quotes/{quote_id}/accept", headers=customer.headers)
    assert accepted.status_code == 202, accepted.text
    await wait_json(api, "/api/cart", customer.headers,
                    lambda c: any(line.get("locked_by_quote") == quote_id for line in c["lines"]))
    order_id = await checkout(api, customer, "card", billing=german)
    order = await wait_status(api, f"/api/orders/{order_id}", customer.headers, "awaiting_payment")
    assert order["totals"] == totals
    assert order["lines"][0]["treatment"]["reverse_charge"] is True


async def test_quote_declined_by_the_customer_cannot_be_accepted_after(api, staff):
    customer = await register(api)
    quote_id = await request_quote(api, customer)
    await issue(api, staff, quote_id)
    declined = await api.post(f"/api/quotes/{quote_id}/decline", headers=customer.headers,
                              json={"reason": "Troppo caro per noi."})
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert (await api.post(f"/api/quotes/{quote_id}/accept",
                           headers=customer.headers)).status_code == 409
    assert (await api.get("/api/cart", headers=customer.headers)).json()["lines"] == []


async def test_quote_rejected_by_staff_shows_the_reason(api, sink, staff):
    customer = await register(api)
    quote_id = await request_quote(api, customer)
    reason = "Non realizziamo portali sanitari."
    r = await api.post(f"/api/staff/quotes/{quote_id}/reject", headers=staff, json={"reason": reason})
    assert r.status_code == 200, r.text
    quote = await wait_status(api, f"/api/quotes/{quote_id}", customer.headers, "rejected")
    assert quote["status_history"][-1]["note"] == reason
    [mail] = await sink.wait(customer.email, f"Richiesta di preventivo {quote['number']} non accolta")
    assert reason in mail["text"]
    # Rejected is final: it can no longer be priced.
    again = await api.post(f"/api/staff/quotes/{quote_id}/issue", headers=staff, json={
        "lines": [], "valid_until": valid_until()})
    assert again.status_code in (409, 422)


async def test_quote_expires_after_its_validity(api, sink, staff, system, monkeypatch):
    """Time passes: the quotes expiry job runs once with the clock three days ahead (the job
    itself runs every minute in the system; waiting for a real day is not a test)."""
    from sportello.db import make_engine, make_sessionmaker
    from sportello.jobs import run_once
    from sportello_quotes import jobs

    customer = await register(api)
    quote_id = await request_quote(api, customer)
    await issue(api, staff, quote_id, days=0)        # valid through today only

    class ThreeDaysLater(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz or UTC) + timedelta(days=3)

    monkeypatch.setattr(jobs, "datetime", ThreeDaysLater)
    engine = make_engine(system.settings.database_url("quotes"), 2)
    try:
        sessionmaker = make_sessionmaker(engine)
        sessionmaker.configure(info={"service": "quotes"})

        async def one_round():   # None while the system's own replica holds the job's lock
            return await run_once(jobs.EXPIRE_QUOTES, sessionmaker) is not None

        await wait_for(one_round, timeout=10, message="an expiry round")
    finally:
        await engine.dispose()

    quote = await wait_status(api, f"/api/quotes/{quote_id}", customer.headers, "expired")
    await sink.wait(customer.email, f"Il preventivo {quote['number']} è scaduto")
    assert (await api.post(f"/api/quotes/{quote_id}/accept",
                           headers=customer.headers)).status_code == 409
