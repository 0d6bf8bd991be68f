"""HTTP routes of the documents service: upload, download, the files of an order or a quote,
staff's deliveries."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse
from sportello.auth import Customer, OptionalPrincipal, Staff
from sportello.contracts.documents import owner_of
from sportello.db import get_session
from sportello.errors import NotFound, Unauthorized
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_documents import actions, domain, repository, schemas, views
from sportello_documents.settings import documents_settings
from sportello_documents.store import Blobs
from sportello_documents.streaming import UploadBody

router = APIRouter()
Session = Annotated[AsyncSession, Depends(get_session)]
CartToken = Annotated[str | None, Header(alias="X-Cart-Token", max_length=200)]
Kind = Literal["order", "quote"]


# The body is parsed as it streams (streaming.UploadBody), so the schema is declared here.
def _multipart(note: bool = False) -> dict:
    properties = {"file": {"type": "string", "format": "binary", "description": "Un solo file"}}
    if note:
        properties["note"] = {"type": "string", "maxLength": 2000}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": properties}}}}}


def _settings(request: Request):
    return documents_settings(request.app.state.settings)


@router.post("/api/documents", status_code=201, response_model=schemas.Uploaded,
             openapi_extra=_multipart())
async def upload(request: Request, session: Session, me: OptionalPrincipal,
                 cart_token: CartToken = None):
    """A file for a form's answer, by a customer or an anonymous cart visitor: its type comes
    from its bytes; the receipt is what the cart line carries."""
    if me is None and not cart_token:
        raise Unauthorized()
    settings = _settings(request)
    owner = owner_of(me.id if me else None, cart_token)
    body = UploadBody(request)
    doc, receipt = await actions.upload(session, Blobs(settings), body.file(), lambda: body.filename,
                                        owner, me.id if me else None, settings)
    return schemas.Uploaded(**actions.ref_of(doc).model_dump(), receipt=receipt)


@router.get("/api/documents/{document_id}", response_class=StreamingResponse)
async def download(document_id: uuid.UUID, request: Request, session: Session,
                   me: OptionalPrincipal, cart_token: CartToken = None):
    """The file, for its owner or staff only (404 for anyone else); always an attachment."""
    doc = await repository.get(session, document_id)
    visitor = owner_of(None, cart_token) if cart_token else None
    if not actions.may_read(doc, me, visitor):
        raise NotFound("Documento non trovato.")
    await session.close()
    return StreamingResponse(Blobs(_settings(request)).read(doc.sha256), media_type=doc.content_type,
                             headers={"Content-Disposition": domain.attachment_header(doc.name),
                                      "Content-Length": str(doc.size_bytes),
                                      "X-Content-Type-Options": "nosniff",
                                      "Content-Security-Policy": "sandbox",
                                      "Cache-Control": "private, no-store"})


@router.get("/api/orders/{order_id}/documents", response_model=schemas.DocumentList)
async def order_documents(order_id: uuid.UUID, me: Customer, session: Session):
    await repository.parent(session, "order", order_id, me.id)
    return views.documents(await repository.of_parent(session, "order", order_id))


@router.get("/api/quotes/{quote_id}/documents", response_model=schemas.DocumentList)
async def quote_documents(quote_id: uuid.UUID, me: Customer, session: Session):
    await repository.parent(session, "quote", quote_id, me.id)
    return views.documents(await repository.of_parent(session, "quote", quote_id))


@router.get("/api/staff/orders/{order_id}/documents", response_model=schemas.DocumentList)
async def staff_order_documents(order_id: uuid.UUID, staff: Staff, session: Session):
    await repository.parent(session, "order", order_id)
    return views.documents(await repository.of_parent(session, "order", order_id))


@router.get("/api/staff/quotes/{quote_id}/documents", response_model=schemas.DocumentList)
async def staff_quote_documents(quote_id: uuid.UUID, staff: Staff, session: Session):
    await repository.parent(session, "quote", quote_id)
    return views.documents(await repository.of_parent(session, "quote", quote_id))


async def _deliver(kind: Kind, parent_id: uuid.UUID, request: Request, staff, session):
    settings = _settings(request)
    body = UploadBody(request)
    doc = await actions.deliver(session, Blobs(settings), body.file(), lambda: body.filename,
                                kind, parent_id, staff, lambda: body.fields.get("note"), settings)
    return views.document(doc)


@router.post("/api/staff/orders/{order_id}/documents", status_code=201,
             response_model=schemas.DocumentOut, openapi_extra=_multipart(note=True))
async def deliver_to_order(order_id: uuid.UUID, request: Request, staff: Staff, session: Session):
    """A deliverable (the translation, the filing's receipt): the customer is emailed a link."""
    return await _deliver("order", order_id, request, staff, session)


@router.post("/api/staff/quotes/{quote_id}/documents", status_code=201,
             response_model=schemas.DocumentOut, openapi_extra=_multipart(note=True))
async def deliver_to_quote(quote_id: uuid.UUID, request: Request, staff: Staff, session: Session):
    return await _deliver("quote", quote_id, request, staff, session)
