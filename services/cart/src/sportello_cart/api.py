"""HTTP routes of the cart service (API.md "Cart"): parse, call an action, answer with schemas."""

from __future__ import annotations

import uuid
from typing import Annotated

import structlog
from fastapi import APIRouter, Body, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from sportello.auth import Customer, OptionalPrincipal
from sportello.contracts.documents import owner_of
from sportello.contracts.fields import FieldError
from sportello.contracts.idempotency import check_idempotency_key
from sportello.contracts.legal import TERMS_PUBLISHED_AT, TERMS_VERSION, terms_url
from sportello.db import get_session
from sportello.errors import Unauthorized, ValidationFailed
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_cart import actions, repository
from sportello_cart.domain import Kind
from sportello_cart.repository import Owner
from sportello_cart.schemas import (
    AddItem,
    CartOut,
    CartPreview,
    Checkout,
    LineOut,
    OrderAccepted,
    PatchItem,
    Preview,
    QuoteAccepted,
    QuoteSubmit,
    SessionOut,
    TermsOut,
)

log = structlog.get_logger()
router = APIRouter(prefix="/api/cart", tags=["cart"])

Session = Annotated[AsyncSession, Depends(get_session)]
CartToken = Annotated[str | None, Header(alias="X-Cart-Token", max_length=200)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


async def current_owner(principal: OptionalPrincipal, session: Session,
                        cart_token: CartToken = None) -> Owner:
    """A bearer token means the customer's own carts; otherwise the anonymous session's."""
    # A visitor who uploaded a file, then logged in, still holds the cart token it uploaded with.
    visitor = (owner_of(None, cart_token),) if cart_token else ()
    if principal is not None:
        return Owner(customer_id=principal.id, uploaders=(owner_of(principal.id, None), *visitor))
    if cart_token:
        return Owner(session_id=await repository.session_of_token(session, cart_token),
                     uploaders=visitor)
    raise Unauthorized("Accedi oppure apri una sessione del carrello (POST /api/cart/session).")


CurrentOwner = Annotated[Owner, Depends(current_owner)]


@router.post("/session", status_code=201, response_model=SessionOut)
async def open_session(session: Session) -> SessionOut:
    token = await repository.new_session(session)
    await session.commit()
    return SessionOut(cart_token=token)


# --- lines, the same for both carts -------------------------------------------------------------

def item_routes(prefix: str, kind: Kind) -> None:
    @router.get(prefix, response_model=CartOut, name=f"{kind}_cart")
    async def get_cart(owner: CurrentOwner, session: Session) -> CartOut:
        return await actions.show_cart(session, owner, kind)

    @router.post(f"{prefix}/items", status_code=201, response_model=LineOut, name=f"{kind}_add")
    async def add(body: AddItem, owner: CurrentOwner, session: Session,
                  request: Request) -> LineOut:
        secret = request.app.state.settings.documents_secret
        return await actions.add_line(session, owner, kind, body, secret)

    @router.patch(f"{prefix}/items/{{line_id}}", response_model=LineOut, name=f"{kind}_change")
    async def change(line_id: uuid.UUID, body: PatchItem, owner: CurrentOwner,
                     session: Session, request: Request) -> LineOut:
        secret = request.app.state.settings.documents_secret
        return await actions.change_line(session, owner, kind, line_id, body, secret)

    @router.delete(f"{prefix}/items/{{line_id}}", status_code=204, name=f"{kind}_remove")
    async def remove(line_id: uuid.UUID, owner: CurrentOwner, session: Session) -> Response:
        await actions.remove_line(session, owner, kind, line_id)
        return Response(status_code=204)


item_routes("", Kind.PURCHASE)
item_routes("/quote", Kind.QUOTE)


# --- merge --------------------------------------------------------------------------------------

@router.post("/merge", response_model=CartOut)
async def merge(me: Customer, session: Session, cart_token: CartToken = None) -> CartOut:
    if not cart_token:
        raise ValidationFailed([FieldError(field="X-Cart-Token",
                                                  message="Intestazione obbligatoria.")])
    await actions.merge(session, await repository.session_of_token(session, cart_token), me.id)
    return await actions.show_cart(session, Owner(customer_id=me.id), Kind.PURCHASE)


# --- checkout and quote submission --------------------------------------------------------------

@router.post("/preview", response_model=CartPreview)
async def preview(body: Preview, me: Customer, session: Session,
                  request: Request) -> CartPreview:
    """The purchase cart taxed for these billing data: what checkout will charge."""
    return await actions.preview(session, me.id, body.billing, request.app.state.settings)


@router.post("/checkout", status_code=202, response_model=OrderAccepted)
async def checkout(body: Checkout, me: Customer, session: Session, request: Request,
                   idempotency_key: IdempotencyKey = None):
    key = check_idempotency_key(idempotency_key)
    response = await actions.checkout(session, me.id, body, key, request.app.state.settings)
    return JSONResponse(response, status_code=202)


@router.post("/quote/submit", status_code=202, response_model=QuoteAccepted)
async def submit_quote(me: Customer, session: Session, idempotency_key: IdempotencyKey = None,
                       body: Annotated[QuoteSubmit | None, Body()] = None):
    key = check_idempotency_key(idempotency_key)
    response = await actions.submit_quote(session, me.id, me.email, body, key)
    return JSONResponse(response, status_code=202)


# --- the conditions of sale a checkout must accept -----------------------------------------

legal_router = APIRouter(prefix="/api/legal", tags=["legal"])


@legal_router.get("/terms", response_model=TermsOut)
async def current_terms(request: Request) -> TermsOut:
    return TermsOut(version=TERMS_VERSION, published_at=TERMS_PUBLISHED_AT,
                    url=terms_url(request.app.state.settings.storefront_url))
