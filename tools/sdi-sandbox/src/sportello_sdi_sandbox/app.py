"""The SDI sandbox (development and tests only, never deployed): the Sistema di Interscambio as
far as Sportello is concerned.

`POST /v1/invoices` takes a FatturaPA file (signed by the sender with this installation's
secret), checks it and answers with its SDI id; a moment later a signed receipt reaches the
sender's webhook, retried until it answers 2xx: RC (ricevuta di consegna), NS (notifica di scarto,
with error codes) or MC (mancata consegna). `POST /v1/outcomes` plans the receipts of an invoice
number (tests and demos), like the payment sandbox's test cards; unplanned files are delivered.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import a38.fattura as fa
import httpx
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sportello.settings import Settings, get_settings, is_local
from sportello.signing import SDI_HEADER as HEADER
from sportello.signing import sign, verify

log = structlog.get_logger()
FILE_NAME = re.compile(r"^IT[0-9A-Z]{11,16}_[0-9A-Za-z]{1,10}\.xml$")
# Delay before a receipt, and the waits between deliveries the webhook refused.
RECEIPT_DELAY = 0.2
RETRY_DELAYS = [0.5, 1, 2, 5, 10, 30]


class Outcomes(BaseModel):
    """The receipts the next files of an invoice number, or of a buyer (surname or company
    name as the XML names them), will get, in order."""

    number: str | None = Field(default=None, min_length=1, max_length=20)
    buyer: str | None = Field(default=None, min_length=1, max_length=80)
    outcomes: list[str] = Field(min_length=1, max_length=10)


def _text(root: ET.Element, path: str) -> str | None:
    found = root.find(path)
    return found.text if found is not None else None


def _buyer_of(root: ET.Element) -> str | None:
    anagrafica = ".//CessionarioCommittente/DatiAnagrafici/Anagrafica/"
    return _text(root, anagrafica + "Denominazione") or _text(root, anagrafica + "Cognome")


def check(file_name: str, xml: str, seen: set[str]) -> tuple[ET.Element | None, list[dict]]:
    """(the file's XML, errors of an NS): the checks SDI makes before it tries to deliver."""
    if file_name in seen:
        return None, [{"code": "00002", "description": "Nome file duplicato"}]
    if not FILE_NAME.match(file_name):
        return None, [{"code": "00001", "description": "Nome file non valido"}]
    try:
        root = ET.fromstring(xml)
        fa.auto_from_etree(root)
    except Exception as exc:  # anything a38 cannot read is not a FatturaPA file
        return None, [{"code": "00200", "description": f"File non conforme al formato: {exc}"[:300]}]
    return root, []


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    if not settings.sdi_sandbox_secret:
        raise RuntimeError("SPORTELLO_SDI_SANDBOX_SECRET non impostato: esegui `sportello keys` "
                           "(sviluppo) o impostalo nell'ambiente")
    if not is_local(settings.storefront_url):
        raise RuntimeError("il sandbox SDI è solo per sviluppo e test, non per un negozio pubblico")
    secret = settings.sdi_sandbox_secret
    webhook = (settings.sdi_sandbox_webhook_url
               or f"{settings.gateway_url.rstrip('/')}/api/invoices/sdi/receipts")
    planned: dict[str, list[str]] = {}
    seen: set[str] = set()
    tasks: set[asyncio.Task] = set()
    app = FastAPI(title="Sportello SDI sandbox", docs_url=None, redoc_url=None)

    async def deliver(receipt: dict) -> None:
        body = json.dumps(receipt).encode()
        await asyncio.sleep(RECEIPT_DELAY)
        async with httpx.AsyncClient(timeout=5) as client:
            for wait in [*RETRY_DELAYS, None]:
                try:
                    r = await client.post(webhook, content=body, headers={
                        "Content-Type": "application/json", HEADER: sign(secret, body)})
                    if r.status_code < 300:
                        log.info("sdi_receipt_delivered", sdi_id=receipt["sdi_id"],
                                 type=receipt["type"])
                        return
                except httpx.HTTPError as exc:
                    log.warning("sdi_receipt_failed", sdi_id=receipt["sdi_id"], error=str(exc))
                if wait is None:
                    return
                await asyncio.sleep(wait)

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    @app.post("/v1/outcomes", status_code=204)
    async def plan(body: Outcomes):
        bad = [o for o in body.outcomes if o not in ("RC", "NS", "MC")]
        if bad:
            return JSONResponse({"detail": f"esiti ammessi: RC, NS, MC (non {bad})"}, 422)
        if not (body.number or body.buyer):
            return JSONResponse({"detail": "indica number o buyer"}, 422)
        planned[f"n:{body.number}" if body.number else f"b:{body.buyer}"] = list(body.outcomes)

    @app.post("/v1/invoices", status_code=202)
    async def receive(request: Request):
        raw = await request.body()
        if not verify(secret, raw, request.headers.get(HEADER)):
            return JSONResponse({"detail": "firma non valida"}, 401)
        try:
            data = json.loads(raw)
            file_name, xml = str(data["file_name"]), str(data["xml"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"detail": "attesi file_name e xml"}, 422)
        sdi_id = uuid.uuid4().hex[:12]
        root, errors = check(file_name, xml, seen)
        seen.add(file_name)
        number = _text(root, ".//DatiGeneraliDocumento/Numero") if root is not None else None
        queue = [] if root is None else (planned.get(f"n:{number}")
                                         or planned.get(f"b:{_buyer_of(root)}") or [])
        kind = "NS" if errors else (queue.pop(0) if queue else "RC")
        if kind == "NS" and not errors:
            # A planned rejection: the buyer's VAT number unknown to the tax registry.
            errors = [{"code": "00305", "description": "IdFiscaleIVA del cessionario/committente "
                                                       "non valido"}]
        receipt = {"sdi_id": sdi_id, "file_name": file_name, "number": number, "type": kind,
                   "errors": errors, "at": datetime.now(UTC).isoformat()}
        task = asyncio.create_task(deliver(receipt))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        log.info("sdi_file_received", sdi_id=sdi_id, file_name=file_name, outcome=kind)
        return {"sdi_id": sdi_id}

    return app
