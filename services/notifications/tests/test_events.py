"""Events in → emails in the real SMTP sink (a separate process), through the real broker and
database; plus what staff see of each email's fate."""

from __future__ import annotations

import re
import uuid
from html import unescape

import pytest

from sportello.testing import publish_event, wait_for
from sportello.testing.processes import RUNNING, Process
from sportello_notifications import samples


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
    # event type, payload factory, [(recipient: "customer" | "staff", subject, text fragments)]
    ("account.registered", samples.account_registered,
     [("customer", "Benvenuto su Sportello Servizi S.r.l.", ["Mario", "/account", "IL MIO ACCOUNT"])]),
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
