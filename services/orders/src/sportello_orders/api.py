"""HTTP routes of the orders service: parse, call an action, answer with schemas."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, Depends, Query, Request
from sportello.auth import Customer, Staff
from sportello.contracts.fields import FieldError
from sportello.db import get_session
from sportello.errors import BadRequest, NotFound, ProblemError, ValidationFailed
from sportello.settings import Settings, payment_return_url
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_orders import actions, repository, schemas, views
from sportello_orders.domain import Actor, Status
from sportello_orders.providers import InvalidWebhook, ProviderUnavailable

log = structlog.get_logger()
router = APIRouter()

Session = Annotated[AsyncSession, Depends(get_session)]
Limit = Annotated[int, Query(ge=1, le=100)]
MAX_WEBHOOK_BYTES = 256 * 1024


class BadGateway(ProblemError):
    status = 502


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


# --- customer -------------------------------------------------------------------------------


@router.get("/api/orders", response_model=schemas.Page)
async def my_orders(me: Customer, session: Session, limit: Limit = 20, cursor: str | None = None):
    return await repository.list_own(session, me.id, limit, cursor, views.summary)


@router.get("/api/orders/{order_id}", response_model=schemas.OrderOut)
async def my_order(order_id: uuid.UUID, me: Customer, session: Session, request: Request):
    order = await repository.get_own(session, order_id, me.id)
    return views.detail(order, settings_of(request))


@router.post("/api/orders/{order_id}/pay",
             response_model=schemas.CardRedirect | schemas.BankTransferOut)
async def pay(order_id: uuid.UUID, me: Customer, session: Session, request: Request,
              body: schemas.PayRequest | None = None):
    settings = settings_of(request)
    order = await repository.get_own(session, order_id, me.id)
    if order.payment_method == "bank_transfer":
        actions.check_payable(order, "bank_transfer")
        return schemas.BankTransferOut(**actions.bank_transfer(order, settings).model_dump())
    return_url = _return_url(settings, order.id, body.return_url if body else None)
    try:
        hosted = await actions.start_card_payment(session, order, request.app.state.provider,
                                                   return_url)
    except ProviderUnavailable as e:
        raise BadGateway("Il servizio di pagamento non risponde: riprova tra poco.") from e
    return schemas.CardRedirect(redirect_url=hosted.redirect_url)


@router.post("/api/orders/{order_id}/cancel", response_model=schemas.OrderOut)
async def cancel(order_id: uuid.UUID, me: Customer, session: Session, request: Request):
    order = await repository.get_own(session, order_id, me.id, lock=True)
    await actions.move(session, order, Status.CANCELLED, Actor.CUSTOMER, actor_id=me.id,
                       note="Annullato dal cliente.", reason="customer")
    await session.commit()
    return views.detail(order, settings_of(request))


@router.post("/api/orders/{order_id}/withdraw", status_code=202, response_model=schemas.OrderOut)
async def withdraw(order_id: uuid.UUID, me: Customer, session: Session, request: Request,
                   body: schemas.WithdrawRequest | None = None):
    order = await repository.get_own(session, order_id, me.id, lock=True)
    await actions.withdraw(session, order, (body.reason or None) if body else None)
    await session.commit()
    return views.detail(order, settings_of(request))


# --- provider -------------------------------------------------------------------------------


@router.post("/api/payments/webhooks/{provider}")
async def webhook(provider: str, request: Request, session: Session):
    adapter = request.app.state.provider
    if provider != adapter.name:  # only the configured provider may talk to us
        raise NotFound("Provider di pagamento sconosciuto.")
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise BadRequest("Corpo della richiesta troppo grande.")
    try:
        event = adapter.parse_webhook(body, {k.lower(): v for k, v in request.headers.items()})
    except InvalidWebhook as e:
        log.warning("webhook_rejected", provider=provider, error=str(e))
        raise BadRequest("Firma del webhook non valida o scaduta.") from e
    result = await actions.apply_webhook(session, provider, event)
    await session.commit()
    return {"received": True, "result": result}


# --- staff ----------------------------------------------------------------------------------


@router.get("/api/staff/orders", response_model=schemas.Page)
async def staff_orders(
    staff: Staff, session: Session, limit: Limit = 20, cursor: str | None = None,
    status: schemas.StatusName | None = None, customer_id: uuid.UUID | None = None,
    number: Annotated[str | None, Query(max_length=40)] = None,
):
    return await repository.list_for_staff(session, status, customer_id, number, limit, cursor,
                                           views.staff_summary)


@router.get("/api/staff/orders/report", response_model=schemas.OrdersReport)
async def staff_orders_report(staff: Staff, session: Session,
                              days: Annotated[int, Query(ge=7, le=366)] = 30):
    """Orders and revenue per day over the last `days` (Rome's calendar), and the queues."""
    return await actions.orders_report(session, days, datetime.now(UTC))


@router.get("/api/staff/orders/{order_id}", response_model=schemas.StaffOrderOut)
async def staff_order(order_id: uuid.UUID, staff: Staff, session: Session, request: Request):
    return views.staff_detail(await repository.get(session, order_id), settings_of(request))


@router.post("/api/staff/orders/{order_id}/status", response_model=schemas.StaffOrderOut)
async def staff_move(order_id: uuid.UUID, body: schemas.StaffStatusRequest, staff: Staff,
                     session: Session, request: Request):
    order = await repository.get(session, order_id, lock=True)
    await actions.move(session, order, Status(body.status), Actor.STAFF, actor_id=staff.id,
                       note=body.note or None, reason="staff")
    await session.commit()
    return views.staff_detail(order, settings_of(request))


@router.post("/api/staff/orders/{order_id}/refund", response_model=schemas.StaffOrderOut)
async def staff_refund(order_id: uuid.UUID, body: schemas.RefundRequest, staff: Staff,
                       session: Session, request: Request):
    order = await repository.get(session, order_id, lock=True)
    await actions.refund(session, order, staff.id, body.amount_cents, body.note or None)
    await session.commit()
    return views.staff_detail(order, settings_of(request))


@router.post("/api/staff/orders/{order_id}/confirm-transfer", response_model=schemas.StaffOrderOut)
async def confirm_transfer(order_id: uuid.UUID, staff: Staff, session: Session, request: Request,
                           body: schemas.ConfirmTransferRequest | None = None):
    order = await repository.get(session, order_id, lock=True)
    await actions.confirm_transfer(session, order, staff.id, body.note if body else None)
    await session.commit()
    return views.staff_detail(order, settings_of(request))


# --- helpers --------------------------------------------------------------------------------


def _return_url(settings: Settings, order_id: uuid.UUID, given: str | None) -> str:
    """Where the provider's page sends the customer back: the shop's own site only (a foreign
    return URL would turn the payment page into an open redirect)."""
    if not given:
        return payment_return_url(settings, order_id)
    allowed = {_origin(settings.storefront_url), _origin(settings.gateway_url)}
    if _origin(given) not in allowed:
        raise ValidationFailed([FieldError(
            field="return_url", message="L'indirizzo di ritorno deve essere sul sito del negozio.")])
    return given


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        return (parts.scheme, (parts.hostname or "").lower(), parts.port)
    except ValueError:
        return None
