"""Events in → emails in the real SMTP sink (a separate process), through the real broker and
database; plus what staff see of each email's fate."""

from __future__ import annotations

import re
import uuid
from html import unescape

import notifications_samples as samples
import pytest
from sportello.testing import publish_event, wait_for
from sportello.testing.processes import RUNNING, Process


def _one(messages: list[dict], subject_part: str) -> dict:
    hits = [m for m in messages if subject_part in m["subject"]]
    assert len(hits) == 1, [m["subject"] for m in messages]
    return hits[0]


async def test_order_paid_sends_the_confirmation_with_the_full_summary_and_alerts_staff(
        client, sink, mailbox, staff):
    paid = samples.order_paid()
    envelope = await publish_event(sink, "order.paid", paid, producer="orders")

    [mail] = await mailbox.wait_for(paid.customer.email)
    assert mail["subject"] == f"Conferma d'ordine {paid.number}"
    assert mail["to"] == [paid.customer.email]
    for part in (mail["text"], mail["html"]):
        assert "Traduzione giurata" in part and "Visura camerale" in part
        assert "Numero di pagine: 12" in part and "Lingua: Inglese" in part  # the answers
        assert "1.012,30 €" in part  # unit price, Italian format
        assert "1.262,30 €" in part and "277,71 €" in part and "1.540,01 €" in part  # totals
        assert "RSSMRA80A01H501U" in part and "Via Roma 1" in part  # billing data
        assert f"{sink.storefront_url}/account/ordini/{paid.order_id}" in part
        assert "24 novembre 2026" in part
    assert "I MIEI ORDINI" in mail["text"]

    staff_mail = _one(await mailbox.wait_for(sink.staff_email), paid.number)
    assert "Nuovo ordine pagato" in staff_mail["subject"] and "1.540,01 €" in staff_mail["subject"]

    rows = await staff.wait_for(lambda n: n["status"] == "sent", event_id=str(envelope.id))
    assert {r["template"] for r in rows} == {"ordine_confermato", "staff_ordine_pagato"}
    customer_row = next(r for r in rows if r["template"] == "ordine_confermato")
    assert customer_row["message_id"] == mail["message_id"]
    assert customer_row["refs"]["order_number"] == paid.number
    assert customer_row["refs"]["order_id"] == str(paid.order_id)


CASES = [
    ("invoice.rejected", samples.invoice_rejected,
     [("staff", "[Staff] Fattura FT-2026-000042 scartata dallo SDI",
       ["Errore 00305", "/resend", "entro 5 giorni"])]),
    # event type, payload factory, [(recipient: "customer" | "staff", subject, text fragments)]
    ("account.registered", samples.account_registered,
     [("customer", "Benvenuto su Sportello Servizi S.r.l.",
       ["Mario", "/account", "IL MIO ACCOUNT", "/conferma-email?token=conf_Zz9%2B%2Fk%3D"])]),
    ("account.password_changed", lambda: samples.password_changed(via="reset"),
     [("customer", "La password del tuo account è stata modificata",
       ["Se non sei stato tu", "reimpostata", "/password-dimenticata"])]),
    ("account.password_reset_requested", samples.password_reset_requested,
     [("customer", "Reimposta la tua password",
       ["/reimposta-password?token=tok_Ab3%2B%2Fx%3Dyz", "1 ora", "24 novembre 2026 alle 11:30"])]),
    ("order.placed", lambda: samples.order_placed(bank_transfer=True),
     [("customer", "ricevuto", ["bonifico", "IT60X0542811101000000123456", "1.540,01 €",
                                "Numero di pagine: 12"]),
      ("staff", "Bonifico da confermare", ["IT60X0542811101000000123456", "confirm-transfer"])]),
    ("order.placed", samples.order_placed,
     [("customer", "ricevuto", ["1.540,01 €", "Appena il pagamento sarà confermato"])]),
    ("order.payment_failed", samples.order_payment_failed,
     [("customer", "Pagamento non riuscito", ["1.540,01 €", "Carta rifiutata", "PAGA"])]),
    ("order.status_changed", samples.order_status_changed,
     [("customer", ": completato", ["Nuovo stato: Completato", "Traduzione consegnata via PEC."])]),
    ("order.cancelled", samples.order_cancelled,
     [("customer", "annullato", ["Annullato su richiesta del cliente"])]),
    ("quote.requested", samples.quote_requested,
     [("customer", "Richiesta di preventivo", ["Consulenza fiscale", "Argomento: Regime forfettario",
                                               "Vorrei un incontro entro fine mese."]),
      ("staff", "Nuova richiesta di preventivo", ["Argomento: Regime forfettario", "Mario Rossi"])]),
    ("quote.issued", samples.quote_issued,
     [("customer", "è pronto", ["411,50 €", "502,03 €", "24 dicembre 2026", "ACCETTA",
                                "/account/preventivi/", "Include due incontri in studio."])]),
    ("quote.rejected", samples.quote_rejected,
     [("customer", "non accolta", ["non è disponibile nella tua provincia"])]),
    ("quote.expired", samples.quote_expired,
     [("customer", "scaduto", ["24 dicembre 2026", "/servizi"])]),
]


def _visible(html: str) -> str:
    """What a person reads in the HTML part (tags out, entities decoded), plus the raw links."""
    return unescape(re.sub(r"<[^>]+>", "", html)) + html


@pytest.mark.parametrize(("event_type", "make", "expected"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
async def test_each_event_sends_its_emails(client, sink, mailbox, staff, event_type, make,
                                           expected):
    data = make()
    envelope = await publish_event(sink, event_type, data)
    customer = data.customer.email if hasattr(data, "customer") else data.email
    rows = await staff.wait_all_sent(envelope.id, len(expected))
    for audience, subject, fragments in expected:
        address = customer if audience == "customer" else sink.staff_email
        # The staff inbox is shared by the whole run: this event's mail is the one whose
        # Message-ID the service recorded for it.
        [row] = [r for r in rows if r["recipient"] == address.lower()]
        mails = await mailbox.wait_for(address)
        [mail] = [m for m in mails if m["message_id"] == row["message_id"]]
        assert subject in mail["subject"]
        assert mail["subject"] == row["subject"]
        for fragment in fragments:
            assert fragment in mail["text"], (fragment, mail["text"])
            assert fragment in _visible(mail["html"]), (fragment, mail["html"])


async def test_the_same_event_three_times_sends_one_email(client, sink, mailbox, staff):
    paid = samples.order_paid()
    event_id = uuid.uuid4()
    duplicates_before = await staff.handled("order.paid", "duplicate")
    for _ in range(3):
        await publish_event(sink, "order.paid", paid, event_id=event_id)

    # The consumer saw all three deliveries (two of them as duplicates) ...
    await wait_for(lambda: _at_least(staff, "order.paid", "duplicate", duplicates_before + 2),
                   message="two duplicates handled")
    rows = await staff.wait_all_sent(event_id, 2)
    # ... and the customer received exactly one email, with the recorded Message-ID.
    [mail] = await mailbox.wait_for(paid.customer.email)
    assert mail["message_id"] == next(r["message_id"] for r in rows
                                      if r["template"] == "ordine_confermato")


async def _at_least(staff, event_type: str, outcome: str, value: float) -> bool:
    return await staff.handled(event_type, outcome) >= value


async def test_two_replicas_consuming_redelivered_events_send_each_email_once(
        client, sink, mailbox, staff):
    from sportello.testing import running_service
    from sportello_notifications.app import service

    events = [samples.account_registered() for _ in range(8)]
    async with running_service(service, sink):  # a second replica on the same queue and table
        ids = [uuid.uuid4() for _ in events]
        for _ in range(3):
            for event_id, data in zip(ids, events, strict=True):
                await publish_event(sink, "account.registered", data, event_id=event_id)
        for event_id in ids:
            await staff.wait_all_sent(event_id, 1)
    for data in events:
        assert len(await mailbox.messages(data.email)) == 1


async def test_smtp_down_is_retried_and_delivered_when_it_comes_back(client, sink, mailbox,
                                                                      staff):
    original = RUNNING["mailsink"]
    original.stop()
    try:
        data = samples.account_registered()
        envelope = await publish_event(sink, "account.registered", data)
        [row] = await staff.wait_for(lambda n: n["attempts"] >= 2 and n["status"] == "pending",
                                     event_id=str(envelope.id))
        assert row["last_error"]  # the refused connection, recorded
    finally:
        restarted = Process("mailsink", sink, original.log_path.parent, {})
        RUNNING["mailsink"] = restarted
        await restarted.wait_healthy()

    [mail] = await mailbox.wait_for(data.email, timeout=20)
    [row] = await staff.wait_all_sent(envelope.id, 1, timeout=20)
    assert row["attempts"] >= 3 and row["message_id"] == mail["message_id"]


async def test_a_permanently_refused_recipient_is_failed_listed_and_stops_nothing_else(
        client, sink, mailbox, staff):
    refused = samples.customer(email=f"rifiuta.{uuid.uuid4().hex[:8]}@example.it")
    paid = samples.order_paid(samples.order_placed(refused))
    envelope = await publish_event(sink, "order.paid", paid)

    [row] = await staff.wait_for(lambda n: n["status"] == "failed", event_id=str(envelope.id))
    assert row["template"] == "ordine_confermato" and row["attempts"] == 1
    assert row["last_error"].startswith("550")
    failed = await staff.list(status="failed", recipient=refused.email)
    assert [n["id"] for n in failed] == [row["id"]]
    # The staff alert of the same event still went out.
    [alert] = await staff.wait_for(lambda n: n["status"] == "sent", event_id=str(envelope.id))
    assert alert["template"] == "staff_ordine_pagato"
    assert await mailbox.messages(refused.email) == []


async def test_a_temporarily_refused_recipient_is_failed_after_the_last_attempt(
        client, sink, mailbox, staff):
    busy = samples.account_registered(samples.customer(f"occupato.{uuid.uuid4().hex[:8]}@x.it"))
    envelope = await publish_event(sink, "account.registered", busy)
    other = samples.account_registered()
    await publish_event(sink, "account.registered", other)
    # Other emails go on while this one is retried.
    await mailbox.wait_for(other.email)
    [row] = await staff.wait_for(lambda n: n["status"] == "failed", event_id=str(envelope.id),
                                 timeout=30)
    assert row["attempts"] == 6 and row["last_error"].startswith("451")


async def test_cancellation_announced_twice_sends_one_email_and_paid_status_adds_none(
        client, sink, mailbox, staff):
    placed = samples.order_placed()
    await publish_event(sink, "order.cancelled", samples.order_cancelled(placed))
    await publish_event(sink, "order.status_changed",
                        samples.order_status_changed(placed, status="cancelled", note=None))
    paid_change = await publish_event(sink, "order.status_changed",
                                      samples.order_status_changed(placed, status="paid"))
    marker = await publish_event(sink, "order.payment_failed", samples.order_payment_failed(placed))
    await staff.wait_all_sent(marker.id, 1)
    await wait_for(lambda: _at_least(staff, "order.status_changed", "handled", 2))

    mails = await mailbox.wait_for(placed.customer.email, count=2)
    assert sorted(m["subject"] for m in mails) == sorted([
        f"Ordine {placed.number} annullato",
        f"Pagamento non riuscito per l'ordine {placed.number}"])
    assert await staff.list(event_id=str(paid_change.id)) == []


async def test_account_deleted_redacts_the_customers_address_name_and_bodies(
        client, sink, mailbox, staff):
    who = samples.customer()
    requested = await publish_event(sink, "quote.requested", samples.quote_requested(who))
    await staff.wait_all_sent(requested.id, 2)

    await publish_event(sink, "account.deleted", samples.account_deleted(who))
    rows = await staff.wait_for(lambda n: n["recipient"] == "[dato rimosso]",
                                event_id=str(requested.id))
    assert len(rows) == 1 and rows[0]["template"] == "preventivo_richiesto"
    assert await staff.list(recipient=who.email) == []
    # The staff alert keeps its (staff) recipient; its body, naming the customer, is gone.
    async with client.app.state.sessionmaker() as session:
        from sportello_notifications.models import Notification
        from sqlalchemy import select

        stored = (await session.scalars(select(Notification).where(
            Notification.account_id == who.account_id))).all()
    assert len(stored) == 2
    assert all(n.body_text is None and n.body_html is None for n in stored)
    assert all(who.email not in (n.recipient + (n.recipient_name or "")) for n in stored)


async def test_an_email_change_sends_the_link_to_the_new_address_and_a_notice_to_the_old(
        client, sink, mailbox, staff):
    data = samples.email_change_requested()
    envelope = await publish_event(sink, "account.email_change_requested", data)
    await staff.wait_all_sent(envelope.id, 2)
    [link] = await mailbox.wait_for(data.new_email)
    assert "Conferma il tuo nuovo indirizzo email" in link["subject"]
    assert "/conferma-email?token=chg_Q1%2B%2Fw%3D" in link["text"]
    [notice] = await mailbox.wait_for(data.email)
    assert "modifica dell'indirizzo email" in notice["subject"]
    assert "Se non sei stato tu" in notice["text"] and data.new_email in notice["text"]
    assert "/conferma-email" not in notice["text"]  # the link goes to the new address only


async def test_an_email_that_cannot_be_built_is_failed_and_the_others_go_out(
        client, sink, mailbox, staff):
    """A name with CR/LF (as a registration once let through) cannot become a To header: that one
    email is failed with its error, the welcome of the next customer arrives all the same."""
    bad = samples.customer(f"intestazione.{uuid.uuid4().hex[:8]}@example.it")
    bad.first_name = "Mario\r\nBcc: x@example.com"
    envelope = await publish_event(sink, "account.registered", samples.account_registered(bad))
    good = samples.account_registered()
    await publish_event(sink, "account.registered", good)

    await mailbox.wait_for(good.email)
    [row] = await staff.wait_for(lambda n: n["status"] == "failed", event_id=str(envelope.id))
    assert row["attempts"] == 1 and row["last_error"]
    assert await mailbox.messages(bad.email) == []
    assert await mailbox.messages("x@example.com") == []


async def test_an_operator_lists_failed_emails_and_retries_them(client, sink, mailbox, staff):
    import asyncio

    from sportello.testing.system import run_command

    refused = samples.customer(email=f"rifiuta.{uuid.uuid4().hex[:8]}@example.it")
    envelope = await publish_event(sink, "account.registered", samples.account_registered(refused))
    [row] = await staff.wait_for(lambda n: n["status"] == "failed", event_id=str(envelope.id))
    out = await asyncio.to_thread(run_command, sink, "emails", "failed", "--recipient",
                                  refused.email)
    assert row["id"] in out and "1 email fallite" in out and "550" in out
    assert "sportello_emails_failed" in (await client.get("/metrics")).text

    out = await asyncio.to_thread(run_command, sink, "emails", "retry", row["id"])
    assert "1 email rimesse in coda" in out
    # Tried once more from a fresh count (the sink still refuses this address for good).
    [again] = await staff.wait_for(lambda n: n["status"] == "failed" and n["attempts"] == 1
                                   and n["id"] == row["id"], event_id=str(envelope.id))
    assert again["last_error"].startswith("550")
