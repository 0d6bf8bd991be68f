"""The SMTP sink for development and tests: SMTP in, an inbox to read over HTTP (HTML and JSON).

    sportello serve mailsink   → SMTP on settings.smtp_host:smtp_port, inbox on settings.mail_sink_url

JSON for tests: `GET /api/messages?to=&subject=` → `{"items": [...]}` (oldest first),
`GET /api/messages/{id}`, `DELETE /api/messages` (empty the inbox). People read `GET /`.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sportello.errors import NotFound, install_error_handlers
from sportello.observability import configure_logging
from sportello.settings import Settings, get_settings

from sportello_mailsink.page import render_inbox
from sportello_mailsink.smtp import start_smtp
from sportello_mailsink.store import Inbox

log = structlog.get_logger()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    inbox = Inbox()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging("mailsink", settings.log_level, settings.log_json)
        # aiosmtpd logs every SMTP command at INFO; our own mail_received line says what matters.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        server = await start_smtp(inbox, settings.smtp_host, settings.smtp_port)
        log.info("mailsink_started", smtp=f"{settings.smtp_host}:{settings.smtp_port}",
                 inbox=settings.mail_sink_url)
        try:
            yield
        finally:
            server.close()
            await server.wait_closed()

    app = FastAPI(title="Sportello mail sink", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.inbox = inbox
    install_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz():
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    async def page(to: str | None = None):
        return HTMLResponse(render_inbox(list(reversed(inbox.find(to=to))), settings))

    @app.get("/api/messages")
    async def messages(to: str | None = None, subject: str | None = None):
        return {"items": [m.as_json() for m in inbox.find(to=to, subject=subject)]}

    @app.get("/api/messages/{message_id}")
    async def message(message_id: int):
        found = inbox.get(message_id)
        if found is None:
            raise NotFound("Messaggio non trovato.")
        return JSONResponse(found.as_json())

    @app.delete("/api/messages", status_code=204)
    async def clear():
        inbox.clear()
        return Response(status_code=204)

    return app
