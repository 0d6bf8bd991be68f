"""The SMTP side of the sink (aiosmtpd on the app's own event loop), with two test doors.

Recipients whose local part starts with `rifiuta` are refused permanently (550) and those
starting with `occupato` temporarily (451): that is how tests and developers make a real SMTP
server refuse, without any switch to flip.
"""

from __future__ import annotations

import asyncio

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

from sportello_mailsink.store import Inbox

log = structlog.get_logger()

PERMANENT_PREFIX = "rifiuta"
TEMPORARY_PREFIX = "occupato"


class SinkHandler:
    def __init__(self, inbox: Inbox):
        self.inbox = inbox

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        local = address.split("@", 1)[0].lower()
        if local.startswith(PERMANENT_PREFIX):
            return "550 5.1.1 Casella inesistente: destinatario rifiutato"
        if local.startswith(TEMPORARY_PREFIX):
            return "451 4.3.2 Casella momentaneamente non disponibile, riprova più tardi"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        received = self.inbox.add(envelope.original_content or envelope.content,
                                  envelope.mail_from, envelope.rcpt_tos)
        log.debug("mail_received", to=received.envelope_to, size=len(received.data))
        return "250 2.0.0 Messaggio accettato"


async def start_smtp(inbox: Inbox, host: str, port: int) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    handler = SinkHandler(inbox)
    # The sink keeps the raw bytes (original_content) so that non-ASCII bodies survive intact.
    return await loop.create_server(
        lambda: SMTP(handler, hostname="mailsink.sportello", decode_data=False,
                     enable_SMTPUTF8=True, data_size_limit=10 * 1024 * 1024),
        host=host, port=port,
    )
