"""The life of a quote through events and the API, on the real database and broker."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

from sportello.jobs import run_once
from sportello.testing import EventTap, publish_event
from sportello_quotes.jobs import EXPIRE_QUOTES


async def test_requested_quoted_reissued_accepted_then_ordered(client, settings, quotes):
    async with EventTap(settings, "quote.*") as tap:
        data = await quotes.submit(lines=2)
        [requested] = await tap.wait_for("quote.requested",
                                         lambda d: d["quote_id"] == str(data.quote_id))
        number = requested.data["number"]
        assert re.fullmatch(rf"PR-{datetime.now(UTC).year}-\d{{6}}", number)
        assert requested.data["message"] == "Vorrei il sito entro marzo."
        assert [line["line_id"] for line in requested.data["lines"]] == [
            str(line.line_id) for line in data.lines]
        assert requested.data["customer"]["email"] == data.customer.email

        mine = (await quotes.get(data)).json()
        assert mine["number"] == number and mine["status"] == "requested"
        assert mine["lines"][0]["answer_labels"][0] == {"label": "Numero di pagine", "value": "5"}
        assert mine["lines"][0]["unit_net_cents"] is None and mine["can_accept"] is False

        # First issue: 100,00 € × 1 and 110,05 € × 2, 22 % VAT per line.
        r = await quotes.issue(data, prices=[10000, 11005], note="Tempi: 3 settimane.")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "quoted" and r.json()["revision"] == 1
        [issued] = await tap.wait_for("quote.issued", lambda d: d["quote_id"] == str(data.quote_id))
        assert issued.data["revision"] == 1 and issued.data["number"] == number
        assert [(ln["net_cents"], ln["vat_cents"], ln["gross_cents"]) for ln in issued.data["lines"]] \
            == [(10000, 2200, 12200), (22010, 4842, 26852)]
        assert issued.data["totals"] == {
            "net_cents": 32010, "vat_cents": 7042, "gross_cents": 39052, "stamp_duty_cents": 0,
            "notes": [], "vat_groups": [{"vat_rate_bp": 2200, "vat_nature": None,
                                         "taxable_cents": 32010, "vat_cents": 7042, "note": None}]}
        assert issued.data["note"] == "Tempi: 3 settimane."

        # Re-issue: a new revision, the first one stays in the history.
        r = await quotes.issue(data, prices=[9000, 11005], note="Sconto sulla prima riga.")
        assert r.status_code == 200, r.text
        staff_view = r.json()
        assert staff_view["revision"] == 2
        assert [rev["totals"]["gross_cents"] for rev in staff_view["revisions"]] == [39052, 37832]
        await tap.wait_for("quote.issued", lambda d: d["quote_id"] == str(data.quote_id)
                           and d["revision"] == 2)

        mine = (await quotes.get(data)).json()
        assert mine["status"] == "quoted" and mine["can_accept"] is True
        assert mine["staff_note"] == "Sconto sulla prima riga."
        assert mine["lines"][0]["unit_net_cents"] == 9000
        assert mine["totals"]["gross_cents"] == 37832
        listed = (await client.get("/api/quotes", headers=quotes.customer(data))).json()["items"]
        assert listed[0]["id"] == str(data.quote_id) and listed[0]["total_gross_cents"] == 37832

        # Accepting the revision read before the re-issue: refused, the prices changed.
        r = await client.post(f"/api/quotes/{data.quote_id}/accept", json={"revision": 1},
                              headers=quotes.customer(data))
        assert r.status_code == 409 and r.json()["current_revision"] == 2
        r = await client.post(f"/api/quotes/{data.quote_id}/accept", json={"revision": 2},
                              headers=quotes.customer(data))
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "accepted"
        [accepted] = await tap.wait_for("quote.accepted",
                                        lambda d: d["quote_id"] == str(data.quote_id))
        # The cart adds these lines locked at exactly the accepted revision's prices.
        assert [(ln["line_id"], ln["unit_net_cents"], ln["vat_rate_bp"], ln["gross_cents"])
                for ln in accepted.data["lines"]] == [
            (str(data.lines[0].line_id), 9000, 2200, 10980),
            (str(data.lines[1].line_id), 11005, 2200, 26852)]

        # Accepting twice is an illegal transition, not a silent no-op.
        r = await client.post(f"/api/quotes/{data.quote_id}/accept", headers=quotes.customer(data))
        assert r.status_code == 409
        assert r.headers["content-type"] == "application/problem+json"

        await publish_event(settings, "order.paid", quotes.order_paid(data, accepted.data["lines"]),
                            producer="orders")
        mine = await quotes.wait_status(data, "ordered")
        assert mine["order_number"] == "SP-2026-000042"
        assert [(h["status"], h["revision"]) for h in mine["status_history"]] == [
            ("requested", None), ("quoted", 1), ("quoted", 2), ("accepted", 2), ("ordered", 2)]
        assert mine["status_history"][1]["note"] == "Tempi: 3 settimane."

        staff = (await client.get(f"/api/staff/quotes/{data.quote_id}", headers=quotes.staff)).json()
        assert [h["actor"] for h in staff["status_history"]] == [
            "customer", "staff", "staff", "customer", "system"]
        assert staff["status_history"][1]["actor_id"] == str(quotes.staff_id)
        assert staff["customer"]["email"] == data.customer.email


async def test_staff_reject_a_request_with_a_reason(client, settings, quotes):
    async with EventTap(settings, "quote.rejected") as tap:
        data = await quotes.submit()
        r = await client.post(f"/api/staff/quotes/{data.quote_id}/reject",
                              json={"reason": "Servizio non disponibile nella tua zona."},
                              headers=quotes.staff)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "rejected"
        [event] = await tap.wait_for("quote.rejected", lambda d: d["quote_id"] == str(data.quote_id))
        assert event.data["reason"] == "Servizio non disponibile nella tua zona."
    mine = (await quotes.get(data)).json()
    assert mine["status"] == "rejected"
    assert mine["status_history"][-1]["note"] == "Servizio non disponibile nella tua zona."
    r = await quotes.issue(data)
    assert r.status_code == 409
    assert "respinto" in r.json()["detail"]


async def test_customer_declines_a_quoted_quote(client, settings, quotes):
    async with EventTap(settings, "quote.declined") as tap:
        data = await quotes.submit()
        assert (await quotes.issue(data)).status_code == 200
        r = await client.post(f"/api/quotes/{data.quote_id}/decline",
                              json={"reason": "Ho trovato un'offerta migliore."},
                              headers=quotes.customer(data))
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "declined"
        [event] = await tap.wait_for("quote.declined", lambda d: d["quote_id"] == str(data.quote_id))
        assert event.data["reason"] == "Ho trovato un'offerta migliore."
    r = await client.post(f"/api/quotes/{data.quote_id}/accept", headers=quotes.customer(data))
    assert r.status_code == 409
    assert (await quotes.get(data)).json()["status"] == "declined"


async def test_decline_without_a_body_is_fine(client, quotes):
    data = await quotes.submit()
    assert (await quotes.issue(data)).status_code == 200
    r = await client.post(f"/api/quotes/{data.quote_id}/decline", headers=quotes.customer(data))
    assert r.status_code == 200, r.text
    assert r.json()["status_history"][-1] == {**r.json()["status_history"][-1], "note": None}


async def test_a_requested_quote_cannot_be_accepted_or_declined(client, quotes):
    data = await quotes.submit()
    for action in ("accept", "decline"):
        r = await client.post(f"/api/quotes/{data.quote_id}/{action}", headers=quotes.customer(data))
        assert r.status_code == 409, action
        assert "in attesa di quotazione" in r.json()["detail"]
    assert (await quotes.get(data)).json()["status"] == "requested"


async def test_a_quoted_quote_expires_after_its_last_day_and_cannot_be_accepted(
        client, settings, quotes):
    sessionmaker = client.app.state.sessionmaker
    async with EventTap(settings, "quote.expired", "quote.accepted") as tap:
        data = await quotes.submit()
        assert (await quotes.issue(data, valid_until=None)).status_code == 200
        # Valid through today: the job leaves it alone.
        await run_once(EXPIRE_QUOTES, sessionmaker)
        assert (await quotes.get(data)).json()["status"] == "quoted"

        await quotes.make_validity_pass(data)
        mine = (await quotes.get(data)).json()
        assert mine["status"] == "quoted" and mine["can_accept"] is False
        # Before the job ran, accept already refuses.
        r = await client.post(f"/api/quotes/{data.quote_id}/accept", headers=quotes.customer(data))
        assert r.status_code == 409
        assert "scaduto" in r.json()["detail"]

        # Two replicas at once: the quote expires once.
        await asyncio.gather(run_once(EXPIRE_QUOTES, sessionmaker),
                             run_once(EXPIRE_QUOTES, sessionmaker))
        await run_once(EXPIRE_QUOTES, sessionmaker)
        mine = await quotes.wait_status(data, "expired")
        assert mine["status_history"][-1]["status"] == "expired"
        [event] = await tap.wait_for("quote.expired", lambda d: d["quote_id"] == str(data.quote_id))
        assert event.data["valid_until"] == mine["valid_until"]
        rows = await quotes.sql("SELECT count(*) FROM outbox WHERE event_type = 'quote.expired' "
                                "AND envelope->'data'->>'quote_id' = :id", id=str(data.quote_id))
        assert rows[0][0] == 1
        assert not [e for e in tap.of_type("quote.accepted")
                    if e.data["quote_id"] == str(data.quote_id)]
