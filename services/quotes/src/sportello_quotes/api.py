"""HTTP routes of the quotes service: parse, call an action, answer with schemas."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response
from sportello.auth import Customer, Staff
from sportello.contracts.fields import FieldError
from sportello.db import get_session
from sportello.errors import ValidationFailed
from sportello.pdf import render_pdf
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_quotes import actions, domain, repository, schemas, views
from sportello_quotes.domain import Actor, Status

router = APIRouter()

Session = Annotated[AsyncSession, Depends(get_session)]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=500)]


def _now() -> datetime:
    return datetime.now(UTC)


# --- customer ----------------------------------------------------------------------------------


@router.get("/api/quotes", response_model=schemas.Page[schemas.QuoteSummary])
async def my_quotes(me: Customer, session: Session, limit: Limit = 20, cursor: Cursor = None):
    page = await repository.list_own(session, me.id, limit=limit, cursor=cursor)
    return schemas.Page(items=[views.summary(q) for q in page.items], next_cursor=page.next_cursor)


@router.get("/api/quotes/{quote_id}", response_model=schemas.QuoteOut)
async def my_quote(quote_id: uuid.UUID, me: Customer, session: Session):
    quote = await repository.get_own(session, quote_id, me.id)
    return views.customer_view(quote, _now())


@router.post("/api/quotes/{quote_id}/accept", status_code=202, response_model=schemas.QuoteOut)
async def accept(quote_id: uuid.UUID, me: Customer, session: Session,
                 body: Annotated[schemas.AcceptIn | None, Body()] = None):
    now = _now()
    quote = await repository.get_own(session, quote_id, me.id, for_update=True)
    await actions.accept(session, quote, me.id, now, seen_revision=body.revision if body else None)
    await session.commit()
    return views.customer_view(quote, now)


@router.post("/api/quotes/{quote_id}/decline", response_model=schemas.QuoteOut)
async def decline(quote_id: uuid.UUID, me: Customer, session: Session,
                  body: Annotated[schemas.DeclineIn | None, Body()] = None):
    now = _now()
    quote = await repository.get_own(session, quote_id, me.id, for_update=True)
    await actions.decline(session, quote, body.reason if body else None, me.id, now)
    await session.commit()
    return views.customer_view(quote, now)


@router.post("/api/quotes/{quote_id}/request-changes", response_model=schemas.QuoteOut)
async def request_changes(quote_id: uuid.UUID, body: schemas.RequestChangesIn, me: Customer,
                          session: Session):
    now = _now()
    quote = await repository.get_own(session, quote_id, me.id, for_update=True)
    await actions.request_changes(session, quote, body.message, me.id, now)
    await session.commit()
    return views.customer_view(quote, now)


@router.get("/api/quotes/{quote_id}/messages", response_model=schemas.MessagesOut)
async def my_messages(quote_id: uuid.UUID, me: Customer, session: Session):
    return views.messages(await repository.get_own(session, quote_id, me.id))


@router.post("/api/quotes/{quote_id}/messages", status_code=201, response_model=schemas.MessageOut)
async def write_to_staff(quote_id: uuid.UUID, body: schemas.MessageIn, me: Customer,
                         session: Session):
    quote = await repository.get_own(session, quote_id, me.id, for_update=True)
    message = await actions.post_message(session, quote, Actor.CUSTOMER, me.id, body.body, _now(),
                                         body.document_ids)
    await session.commit()
    return views.message(message)


async def _pdf(request: Request, quote) -> Response:
    pdf = await render_pdf(views.quote_html(quote, request.app.state.settings))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="preventivo-{quote.number}.pdf"',
        "X-Content-Type-Options": "nosniff"})


@router.get("/api/quotes/{quote_id}/pdf", response_class=Response)
async def my_quote_pdf(quote_id: uuid.UUID, request: Request, me: Customer, session: Session):
    return await _pdf(request, await repository.get_own(session, quote_id, me.id))


# --- staff -------------------------------------------------------------------------------------


@router.get("/api/staff/quotes", response_model=schemas.Page[schemas.StaffQuoteSummary])
async def staff_quotes(
    staff: Staff, session: Session, status: Status | None = None,
    older_than_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    limit: Limit = 20, cursor: Cursor = None, customer_id: uuid.UUID | None = None,
):
    before = _now() - timedelta(days=older_than_days) if older_than_days is not None else None
    page = await repository.list_for_staff(
        session, status=status.value if status else None, created_before=before, limit=limit,
        cursor=cursor, customer_id=customer_id)
    return schemas.Page(items=[views.staff_summary(q) for q in page.items],
                        next_cursor=page.next_cursor)


@router.get("/api/staff/quotes/report", response_model=schemas.QuotesReport)
async def staff_quotes_report(staff: Staff, session: Session,
                              days: Annotated[int, Query(ge=7, le=366)] = 90):
    """The funnel of the last `days` of requests, and the queues that wait for staff."""
    return await actions.quotes_report(session, days, _now())


@router.get("/api/staff/quotes/{quote_id}", response_model=schemas.StaffQuoteOut)
async def staff_quote(quote_id: uuid.UUID, staff: Staff, session: Session):
    quote = await repository.get_any(session, quote_id)
    return views.staff_view(quote, _now())


@router.post("/api/staff/quotes/{quote_id}/issue", response_model=schemas.StaffQuoteOut)
async def issue(quote_id: uuid.UUID, body: schemas.IssueIn, request: Request, staff: Staff,
                session: Session):
    now = _now()
    quote = await repository.get_any(session, quote_id, for_update=True)
    prices = [domain.LinePrice(line.line_id, line.unit_net_cents) for line in body.lines]
    await actions.issue(session, quote, prices, body.valid_until, body.note, staff.id, now,
                        request.app.state.settings.stamp_duty_charged, body.billing)
    await session.commit()
    return views.staff_view(quote, now)


@router.post("/api/staff/quotes", status_code=201, response_model=schemas.StaffQuoteOut)
async def start_quote(body: schemas.StaffQuoteIn, request: Request, staff: Staff,
                      session: Session):
    now = _now()
    customer = await repository.contact(session, body.customer_id)
    if customer is None:
        raise ValidationFailed([FieldError(field="customer_id", message="Cliente sconosciuto.")])
    lines = [domain.StaffLine(**line.model_dump()) for line in body.lines]
    quote = await actions.start_for_customer(session, customer, lines, body.valid_until, body.note,
                                             staff.id, now,
                                             request.app.state.settings.stamp_duty_charged,
                                             body.billing)
    await session.commit()
    return views.staff_view(await repository.get_any(session, quote.id), now)


@router.get("/api/staff/quotes/{quote_id}/messages", response_model=schemas.MessagesOut)
async def staff_messages(quote_id: uuid.UUID, staff: Staff, session: Session):
    return views.messages(await repository.get_any(session, quote_id))


@router.post("/api/staff/quotes/{quote_id}/messages", status_code=201,
             response_model=schemas.MessageOut)
async def write_to_customer(quote_id: uuid.UUID, body: schemas.MessageIn, staff: Staff,
                            session: Session):
    quote = await repository.get_any(session, quote_id, for_update=True)
    message = await actions.post_message(session, quote, Actor.STAFF, staff.id, body.body, _now(),
                                         body.document_ids)
    await session.commit()
    return views.message(message)


@router.get("/api/staff/quotes/{quote_id}/pdf", response_class=Response)
async def staff_quote_pdf(quote_id: uuid.UUID, request: Request, staff: Staff, session: Session):
    return await _pdf(request, await repository.get_any(session, quote_id))


@router.post("/api/staff/quotes/{quote_id}/reject", response_model=schemas.StaffQuoteOut)
async def reject(quote_id: uuid.UUID, body: schemas.RejectIn, staff: Staff, session: Session):
    now = _now()
    quote = await repository.get_any(session, quote_id, for_update=True)
    await actions.reject(session, quote, body.reason, staff.id, now)
    await session.commit()
    return views.staff_view(quote, now)
