"""Documenti of an order or a quote: the list, a file passed on as an attachment, and a
deliverable staff upload with an optional note (documents emails the customer a link)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from sportello.web.files import attachment
from sportello.web.gateway import Api, LoginRequired
from sportello.web.pages import flash, form_data
from starlette.datastructures import UploadFile

from sportello_backoffice.web import found, staff_api

router = APIRouter()
MB = 1_048_576
# documents' own limit is 25 MB: a larger body is refused here before it is read and forwarded.
MAX_BODY = 25 * MB + 65_536
TOO_LARGE = "Il file supera il limite di 25 MB."
NOT_YET = "I documenti di questa pratica non sono ancora pronti: riprova tra qualche istante."


async def documents_of(gw: Api, path: str) -> list[dict[str, Any]]:
    """The files of an order or a quote; none while documents has not heard of it yet."""
    result = await gw.get(path, require_login=True)
    if result.status == 403:
        found(result)
    return result.body.get("items", []) if result.ok and isinstance(result.body, dict) else []


@router.get("/documenti/{document_id}")
async def document_download(document_id: str, gw: Api = Depends(staff_api)):
    result = await gw.get(f"/documents/{document_id}", require_login=True)
    if result.status == 403:
        found(result)
    return attachment(result)


@dataclass
class Refused:
    """A delivery that did not happen: the page again, with the reason next to its field."""

    status: int
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    problem: str = "Controlla i campi evidenziati."


async def deliver(request: Request, gw: Api, api_path: str) -> Refused | None:
    """Upload the posted `file` (and `doc_note`) to `api_path`; None once delivered (flashed)."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        return Refused(413, {"file": TOO_LARGE})
    data = await form_data(request)
    # Not "note": the order's and the quote's pages have a note field of their own.
    note = str(data.get("doc_note", "")).strip()
    values = {"doc_note": note}
    file = (await request.form()).get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return Refused(422, {"file": "Scegli il file da consegnare."}, values)
    if len(note) > 2000:
        return Refused(422, {"doc_note": "La nota può avere al massimo 2000 caratteri."}, values)
    result = await gw.upload(api_path, file.filename, file.file, file.content_type,
                             fields={"note": note} if note else None)
    if result.status == 201:
        flash(request, f"Documento «{result.body.get('name', file.filename)}» consegnato: "
                       "il cliente riceve un'email con il link.")
        return None
    if result.status == 401:
        raise LoginRequired()
    if result.status == 403:
        found(result)
    if result.status == 404:
        # documents learns of a new order or quote from its event, a moment after it exists
        # (an unknown id is the page's own 404 when it is rendered again).
        return Refused(409, {"file": NOT_YET}, values)
    if result.status in (413, 415):
        # documents' Italian reason: too big, or a type it does not take (read from the bytes).
        return Refused(result.status, {"file": result.detail or TOO_LARGE}, values)
    errors = {("doc_note" if name.endswith("note") else "file"): message
              for name, message in result.field_errors().items()}
    return Refused(409 if result.status == 409 else 422,
                   errors or {"file": result.detail or "Consegna non riuscita, riprova."}, values)
