"""The sink as a real process: SMTP in, the inbox out as JSON and as a page; its refusals."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import aiosmtplib
import httpx
import pytest
from sportello.testing.processes import serve_processes


@pytest.fixture(scope="module")
async def sink(settings):
    async with serve_processes(settings, ["mailsink"]) as running:
        yield running


def _message(to: str, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Sportello <noreply@sportello.example>"
    msg["To"] = f"Mario Rossi <{to}>"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4()}@sportello.example>"
    msg.set_content("Totale: 1.234,50 €")
    msg.add_alternative("<p>Totale: <b>1.234,50 €</b></p>", subtype="html")
    return msg


async def _send(sink, msg):
    return await aiosmtplib.send(msg, hostname=sink.smtp_host, port=sink.smtp_port,
                                 start_tls=False)


async def test_a_message_sent_over_smtp_is_listed_as_json_and_shown_on_the_page(sink):
    to = f"mario.{uuid.uuid4().hex[:8]}@example.it"
    msg = _message(to, "Conferma d'ordine SP-2026-000042 (1.234,50 €)")
    await _send(sink, msg)
    async with httpx.AsyncClient(base_url=sink.mail_sink_url) as c:
        [item] = (await c.get("/api/messages", params={"to": to})).json()["items"]
        assert item["to"] == [to]
        assert item["subject"] == "Conferma d'ordine SP-2026-000042 (1.234,50 €)"
        assert item["message_id"] == msg["Message-ID"]
        assert item["text"] == "Totale: 1.234,50 €\n"
        assert "<b>1.234,50 €</b>" in item["html"]
        assert (await c.get(f"/api/messages/{item['id']}")).json()["id"] == item["id"]
        page = await c.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "Conferma d&#x27;ordine SP-2026-000042" in page.text
        assert (await c.get("/api/messages/999999")).status_code == 404
        assert (await c.get("/healthz")).json() == {"status": "ok"}


async def test_rifiuta_recipients_are_refused_permanently_and_occupato_temporarily(sink):
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await _send(sink, _message("rifiuta@example.it", "x"))
    assert refused.value.recipients[0].code == 550
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as busy:
        await _send(sink, _message("occupato@example.it", "x"))
    assert busy.value.recipients[0].code == 451
    async with httpx.AsyncClient(base_url=sink.mail_sink_url) as c:
        assert (await c.get("/api/messages", params={"to": "rifiuta@example.it"})).json() == {
            "items": []}


async def test_clearing_empties_the_inbox(sink):
    await _send(sink, _message(f"a.{uuid.uuid4().hex[:6]}@example.it", "da cancellare"))
    async with httpx.AsyncClient(base_url=sink.mail_sink_url) as c:
        assert (await c.get("/api/messages")).json()["items"]
        assert (await c.delete("/api/messages")).status_code == 204
        assert (await c.get("/api/messages")).json() == {"items": []}
