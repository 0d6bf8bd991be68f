"""The channel to the Sistema di Interscambio: send an invoice's file, read a signed receipt.

`SandboxChannel` talks to tools/sdi-sandbox. A real intermediary (an accredited provider's API or
an SDICoop web service) plugs in as another class with the same two methods, chosen by
`SPORTELLO_SDI_CHANNEL`; its receipts then arrive at the same webhook, verified its own way.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal, Protocol

import httpx
from pydantic import BaseModel, ValidationError
from sportello.contracts.events import SdiError
from sportello.errors import ProblemError, Unauthorized
from sportello.settings import Settings
from sportello.signing import SDI_HEADER as HEADER
from sportello.signing import sign, verify


class Receipt(BaseModel):
    """A receipt of SDI: RC delivered, NS rejected (with error codes), MC not delivered."""

    sdi_id: str
    file_name: str
    number: str | None = None
    type: Literal["RC", "NS", "MC"]
    errors: list[SdiError] = []
    at: datetime


class ChannelError(ProblemError):
    """The file could not be handed to SDI (unreachable, refused): retried later."""

    status = 502


class Channel(Protocol):
    async def send(self, file_name: str, xml: str) -> str:
        """Hand the file to SDI; its SDI id (identificativo SdI)."""

    def receipt(self, body: bytes, headers) -> Receipt:
        """The verified receipt of a webhook call, or Unauthorized."""


class SandboxChannel:
    def __init__(self, settings: Settings):
        if not settings.sdi_sandbox_secret:
            raise RuntimeError("SPORTELLO_SDI_SANDBOX_SECRET non impostato: esegui `sportello keys`")
        self.url = settings.sdi_sandbox_url.rstrip("/")
        self.secret = settings.sdi_sandbox_secret

    async def send(self, file_name: str, xml: str) -> str:
        body = json.dumps({"file_name": file_name, "xml": xml}).encode()
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                r = await client.post(f"{self.url}/v1/invoices", content=body, headers={
                    "Content-Type": "application/json", HEADER: sign(self.secret, body)})
        except httpx.HTTPError as exc:
            raise ChannelError("Lo SDI non è raggiungibile: riprova più tardi.") from exc
        if r.status_code != 202:
            raise ChannelError(f"Lo SDI non ha accettato l'invio (HTTP {r.status_code}).")
        return r.json()["sdi_id"]

    def receipt(self, body: bytes, headers) -> Receipt:
        if not verify(self.secret, body, headers.get(HEADER)):
            raise Unauthorized("Firma della ricevuta SDI non valida.")
        try:
            return Receipt.model_validate_json(body)
        except ValidationError as exc:
            raise Unauthorized("Ricevuta SDI illeggibile.") from exc


CHANNELS = {"sandbox": SandboxChannel}


def channel_for(settings: Settings) -> Channel:
    return CHANNELS[settings.sdi_channel](settings)
