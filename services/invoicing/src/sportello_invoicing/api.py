"""HTTP routes of the invoicing service: parse, call, answer (the customer's PDF, staff's lists)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sportello.auth import Customer, Staff
from sportello.db import get_session
from sportello.pdf import render_pdf
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_invoicing import actions, repository, schemas, views
from sportello_invoicing.channel import channel_for
from sportello_invoicing.models import Invoice
from sportello_invoicing.settings import invoicing_settings

router = APIRouter()
Session = Annotated[AsyncSession, Depends(get_session)]
Status = Literal["issued", "sent", "delivered", "rejected", "not_delivered"]


def _attachment(body: bytes | str, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff"})


async def _pdf(request: Request, invoice: Invoice) -> Response:
    settings = invoicing_settings(request.app.state.settings)
    doc = actions.document_of(invoice, settings)
    pdf = await render_pdf(views.courtesy_html(doc, invoice))
    return _attachment(pdf, "application/pdf", f"fattura-{invoice.number}.pdf")


@router.get("/api/invoices/{invoice_id}/pdf", response_class=Response)
async def my_invoice_pdf(invoice_id: uuid.UUID, request: Request, me: Customer, session: Session):
    return await _pdf(request, await repository.get_own(session, invoice_id, me.id))


@router.get("/api/staff/invoices", response_model=schemas.InvoicePage)
async def staff_invoices(staff: Staff, session: Session, status: Status | None = None,
                         limit: Annotated[int, Query(ge=1, le=100)] = 20,
                         cursor: Annotated[str | None, Query(max_length=500)] = None):
    after = views.parse_cursor(cursor) if cursor else None
    rows = await repository.list_for_staff(session, status, limit, after)
    more = len(rows) > limit
    rows = rows[:limit]
    return schemas.InvoicePage(items=[views.summary(r) for r in rows],
                               next_cursor=views.cursor_of(rows[-1]) if more else None)


@router.get("/api/staff/invoices/{invoice_id}", response_model=schemas.InvoiceSummary)
async def staff_invoice(invoice_id: uuid.UUID, staff: Staff, session: Session):
    return views.summary(await repository.get(session, invoice_id))


@router.get("/api/staff/invoices/{invoice_id}/xml", response_class=Response)
async def staff_invoice_xml(invoice_id: uuid.UUID, request: Request, staff: Staff,
                            session: Session):
    invoice = await repository.get(session, invoice_id)
    name = actions.file_name(invoicing_settings(request.app.state.settings), invoice)
    return _attachment(invoice.xml, "application/xml", name)


@router.get("/api/staff/invoices/{invoice_id}/pdf", response_class=Response)
async def staff_invoice_pdf(invoice_id: uuid.UUID, request: Request, staff: Staff, session: Session):
    return await _pdf(request, await repository.get(session, invoice_id))


@router.post("/api/staff/invoices/{invoice_id}/resend", response_model=schemas.InvoiceSummary)
async def resend_invoice(invoice_id: uuid.UUID, request: Request, staff: Staff, session: Session):
    """A rejected invoice, corrected, goes to SDI again with its number and date (409 unless
    rejected, or issued and never sent)."""
    settings = invoicing_settings(request.app.state.settings)
    invoice = await repository.get(session, invoice_id, lock=True)
    await actions.send_to_sdi(session, invoice, channel_for(settings), settings, datetime.now(UTC))
    await session.commit()
    return views.summary(invoice)


@router.post("/api/invoices/sdi/receipts", include_in_schema=True)
async def sdi_receipt(request: Request, session: Session):
    """SDI's receipts (RC, NS, MC), signed; each applied once."""
    settings = invoicing_settings(request.app.state.settings)
    receipt = channel_for(settings).receipt(await request.body(), request.headers)
    await actions.apply_receipt(session, receipt, datetime.now(UTC))
    await session.commit()
    return {"received": receipt.sdi_id}
