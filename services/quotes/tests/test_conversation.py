"""A quote as a conversation: messages both ways, requests for changes, budget and date, quotes
staff start, reminders sent once, and the PDF — through the API and the events."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader
from sportello.contracts.events import (
    AccountRegistered,
    CategoryRef,
    ServicePublished,
    ServiceSnapshot,
)
from sportello.contracts.forms import FormDefinition
from sportello.testing import EventTap, bearer, problem_fields, publish_event, wait_for
from sportello_quotes import domain, jobs
from sportello_quotes.models import Contact


def rome_today():
    return domain.rome_today(datetime.now(UTC))


async def test_customer_and_staff_write_in_turn_and_each_side_is_told(client, settings, quotes):
    data = await quotes.submit()
    me = quotes.customer(data)
    url = f"/api/quotes/{data.quote_id}/messages"
    async with EventTap(settings, "quote.message_posted") as tap:
        r = await client.post(url, json={"body": "  Serve anche la versione inglese?  "}, headers=me)
        assert r.status_code == 201, r.text
        assert r.json()["author"] == "customer" and r.json()["body"] == "Serve anche la versione inglese?"
        r = await client.post(f"/api/staff/quotes/{data.quote_id}/messages",
                              json={"body": "Sì, la aggiungiamo nel preventivo."}, headers=quotes.staff)
        assert r.status_code == 201, r.text
        posted = await tap.wait_for("quote.message_posted", count=2,
                                    where=lambda d: d["quote_id"] == str(data.quote_id))
    assert [e.data["author"] for e in posted] == ["customer", "staff"]
    assert posted[0].data["customer"]["email"] == data.customer.email
    # Both sides read the same thread in order; the quote carries it too.
    for headers, path in ((me, url), (quotes.staff, f"/api/staff/quotes/{data.quote_id}/messages")):
        thread = (await client.get(path, headers=headers)).json()["items"]
        assert [(m["author"], m["body"]) for m in thread] == [
            ("customer", "Serve anche la versione inglese?"),
            ("staff", "Sì, la aggiungiamo nel preventivo.")]
    assert len((await quotes.get(data)).json()["messages"]) == 2


async def test_a_message_names_its_files_for_documents_to_attach(client, settings, quotes):
    data = await quotes.submit()
    files = [str(uuid.uuid4()), str(uuid.uuid4())]
    url = f"/api/quotes/{data.quote_id}/messages"
    async with EventTap(settings, "quote.message_posted") as tap:
        r = await client.post(url, json={"body": "In allegato il campione", "document_ids": files},
                              headers=quotes.customer(data))
        assert r.status_code == 201, r.text
        [posted] = await tap.wait_for("quote.message_posted",
                                      where=lambda d: d["quote_id"] == str(data.quote_id))
    assert r.json()["document_ids"] == files and posted.data["document_ids"] == files
    assert posted.data["author_id"] == str(data.customer.account_id)
    r = await client.post(url, json={"body": "troppi", "document_ids": [str(uuid.uuid4())] * 6},
                          headers=quotes.customer(data))
    assert r.status_code == 422 and "document_ids" in problem_fields(r.json())


async def test_a_message_is_refused_when_empty_too_long_or_not_yours(client, settings, quotes):
    data = await quotes.submit()
    url = f"/api/quotes/{data.quote_id}/messages"
    for body in ({"body": "   "}, {"body": "x" * 4001}, {"body": "a\x00b"}, {}):
        r = await client.post(url, json=body, headers=quotes.customer(data))
        assert r.status_code == 422, body
        assert "body" in problem_fields(r.json())
    stranger = bearer(settings, uuid.uuid4())
    assert (await client.post(url, json={"body": "ciao"}, headers=stranger)).status_code == 404
    assert (await client.get(url, headers=stranger)).status_code == 404
    assert (await client.get(url, headers=quotes.customer(data))).json()["items"] == []


async def test_changes_requested_goes_back_to_staff_and_a_reissue_makes_it_quoted_again(
        client, settings, quotes):
    data = await quotes.submit()
    me = quotes.customer(data)
    # Only a quoted quote can be sent back.
    r = await client.post(f"/api/quotes/{data.quote_id}/request-changes",
                          json={"message": "Troppo caro"}, headers=me)
    assert r.status_code == 409
    assert (await quotes.issue(data)).status_code == 200
    async with EventTap(settings, "quote.changes_requested") as tap:
        r = await client.post(f"/api/quotes/{data.quote_id}/request-changes",
                              json={"message": "Potete togliere la seconda riga?"}, headers=me)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "changes_requested"
        assert r.json()["can_accept"] is False and r.json()["can_request_changes"] is False
        event = (await tap.wait_for("quote.changes_requested"))[0]
    assert event.data["message"] == "Potete togliere la seconda riga?" and event.data["revision"] == 1
    assert r.json()["messages"][-1]["body"] == "Potete togliere la seconda riga?"
    # Accepting the old prices is no longer possible; staff re-issue, the customer accepts.
    assert (await client.post(f"/api/quotes/{data.quote_id}/accept", headers=me)).status_code == 409
    assert (await quotes.issue(data, prices=[9000, 0])).status_code == 200
    quote = await quotes.wait_status(data, "quoted")
    assert quote["revision"] == 2 and quote["totals"]["net_cents"] == 9000
    assert [h["status"] for h in quote["status_history"]] == [
        "requested", "quoted", "changes_requested", "quoted"]
    r = await client.post(f"/api/quotes/{data.quote_id}/accept", json={"revision": 2}, headers=me)
    assert r.status_code == 202, r.text


async def test_the_request_keeps_the_budget_and_wished_for_date_for_staff(client, settings, quotes):
    wanted = rome_today() + timedelta(days=20)
    data = quotes.request()
    data = data.model_copy(update={"budget_cents": 150_000, "wanted_by": wanted})
    async with EventTap(settings, "quote.requested") as tap:
        await quotes.submit(data)
        requested = (await tap.wait_for("quote.requested",
                                        where=lambda d: d["quote_id"] == str(data.quote_id)))[0]
    assert requested.data["budget_cents"] == 150_000
    staff_view = (await client.get(f"/api/staff/quotes/{data.quote_id}", headers=quotes.staff)).json()
    assert staff_view["budget_cents"] == 150_000 and staff_view["wanted_by"] == wanted.isoformat()


async def _publish_service(settings, slug: str) -> None:
    form = FormDefinition.model_validate({"fields": [
        {"name": "pagine", "label": "Numero di pagine", "type": "number", "required": True,
         "min": 1, "max": 50}]})
    snapshot = ServiceSnapshot(slug=slug, name="Sito vetrina", category=CategoryRef(
        slug="web", name="Web"), pricing_mode="quote", vat_rate_bp=2200, form=form, version=3)
    await publish_event(settings, "catalog.service.published", ServicePublished(service=snapshot),
                        producer="catalog")


async def test_staff_start_a_quote_for_a_known_customer_with_catalog_and_free_lines(
        client, settings, quotes):
    customer_id = uuid.uuid4()
    email = f"tel-{customer_id.hex[:8]}@example.it"
    slug = f"sito-{customer_id.hex[:6]}"
    await publish_event(settings, "account.registered", AccountRegistered(
        account_id=customer_id, email=email, first_name="Anna", last_name="Verdi"),
        producer="accounts")
    await _publish_service(settings, slug)

    async def replicated():
        async with client.app.state.sessionmaker() as session:
            return await session.get(Contact, customer_id) is not None
    await wait_for(replicated, message="contact replicated")
    valid_until = (rome_today() + timedelta(days=15)).isoformat()
    body = {"customer_id": str(customer_id), "valid_until": valid_until, "note": "Come da telefonata",
            "lines": [{"service_slug": slug, "answers": {"pagine": 6}, "unit_net_cents": 80000},
                      {"description": "Sopralluogo in sede", "quantity": 2, "unit_net_cents": 5000}]}

    async def service_known():
        r = await client.post("/api/staff/quotes", json={**body, "lines": body["lines"][:1],
                                                         "customer_id": str(uuid.uuid4())},
                              headers=quotes.staff)
        return "lines.0.service_slug" not in problem_fields(r.json())
    await wait_for(service_known, message="service replicated")

    async with EventTap(settings, "quote.issued") as tap:
        r = await client.post("/api/staff/quotes", json=body, headers=quotes.staff)
        assert r.status_code == 201, r.text
        quote = r.json()
        issued = (await tap.wait_for("quote.issued", where=lambda d: d["quote_id"] == quote["id"]))[0]
    assert quote["status"] == "quoted" and quote["origin"] == "staff"
    assert quote["customer"]["email"] == email and issued.data["customer"]["first_name"] == "Anna"
    assert [line["service"]["name"] for line in quote["lines"]] == ["Sito vetrina", "Sopralluogo in sede"]
    assert quote["lines"][0]["answer_labels"] == [{"label": "Numero di pagine", "value": "6"}]
    assert quote["totals"] == {"net_cents": 90000, "vat_cents": 19800, "gross_cents": 109800,
                               "stamp_duty_cents": 0, "notes": [], "vat_groups": [
                                   {"vat_rate_bp": 2200, "vat_nature": None, "taxable_cents": 90000,
                                    "vat_cents": 19800, "note": None}]}
    # The customer sees it among their quotes and can accept it as any other.
    mine = bearer(settings, customer_id)
    assert [q["id"] for q in (await client.get("/api/quotes", headers=mine)).json()["items"]] == [quote["id"]]
    assert (await client.post(f"/api/quotes/{quote['id']}/accept", headers=mine)).status_code == 202


async def test_a_staff_quote_names_what_is_wrong_and_changes_nothing(client, settings, quotes):
    r = await client.post("/api/staff/quotes", headers=quotes.staff, json={
        "customer_id": str(uuid.uuid4()), "valid_until": rome_today().isoformat(),
        "lines": [{"unit_net_cents": 100}]})
    assert r.status_code == 422
    assert "customer_id" in problem_fields(r.json())
    r = await client.post("/api/staff/quotes", headers=quotes.customer(quotes.request()), json={})
    assert r.status_code == 403


async def test_reminders_go_out_once_each(client, settings, quotes):
    expiring = await quotes.submit()
    assert (await quotes.issue(expiring, valid_until=rome_today() + timedelta(days=2))).status_code == 200
    waiting = await quotes.submit()
    # Time travel: the request arrived ten days ago (at least two working days, whatever today is).
    await quotes.sql("UPDATE quotes SET created_at = :at WHERE id = :id",
                     at=datetime.now(UTC) - timedelta(days=10), id=waiting.quote_id)
    async with EventTap(settings, "quote.expiring", "quote.pricing_overdue") as tap:
        for _ in range(2):  # a second round (or a second replica) sends nothing more
            async with client.app.state.sessionmaker() as session, session.begin():
                await jobs.remind_expiring_quotes(session)
                await jobs.remind_unpriced_requests(session)
        await tap.wait_for("quote.expiring", where=lambda d: d["quote_id"] == str(expiring.quote_id))
        await tap.wait_for("quote.pricing_overdue",
                           where=lambda d: d["quote_id"] == str(waiting.quote_id))
        # A marker request, so that anything sent twice would have arrived by now.
        await wait_for(lambda: quotes.sql("SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL"))
    assert len([e for e in tap.of_type("quote.expiring")
                if e.data["quote_id"] == str(expiring.quote_id)]) == 1
    assert len([e for e in tap.of_type("quote.pricing_overdue")
                if e.data["quote_id"] == str(waiting.quote_id)]) == 1


async def test_the_quote_pdf_holds_its_lines_totals_validity_and_note(client, settings, quotes):
    data = await quotes.submit()
    issued = await quotes.issue(data, prices=[123450, 1000], note="Consegna in due settimane.")
    assert issued.status_code == 200
    r = await client.get(f"/api/quotes/{data.quote_id}/pdf", headers=quotes.customer(data))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("attachment;")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    quote = (await quotes.get(data)).json()
    assert quote["number"] in text and "Servizio 0" in text and "Servizio 1" in text
    assert "1.234,50 €" in text  # unit price, Italian format
    assert "Consegna in due settimane." in text and "valido fino al" in text
    gross = f"{quote['totals']['gross_cents'] // 100:,}".replace(",", ".")
    assert f"{gross},{quote['totals']['gross_cents'] % 100:02d} €" in text
    stranger = bearer(settings, uuid.uuid4())
    assert (await client.get(f"/api/quotes/{data.quote_id}/pdf", headers=stranger)).status_code == 404
    r = await client.get(f"/api/staff/quotes/{data.quote_id}/pdf", headers=quotes.staff)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
