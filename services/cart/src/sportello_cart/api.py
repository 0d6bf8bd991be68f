"""HTTP routes of the cart service (API.md "Cart"): parse, call an action, answer with schemas."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Body, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError as PydanticValidationError
from sportello.auth import Customer, OptionalPrincipal, optional_principal
from sportello.contracts.documents import owner_of
from sportello.contracts.fields import FieldError
from sportello.contracts.idempotency import check_idempotency_key
from sportello.contracts.legal import TERMS_PUBLISHED_AT, TERMS_VERSION, terms_url
from sportello.contracts.text import body_errors
from sportello.db import get_session
from sportello.errors import Unauthorized, ValidationFailed, field_errors
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import Route

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
async def checkout(body: Checkout, me: Customer, request: Request,
                   idempotency_key: IdempotencyKey = None):
    key = check_idempotency_key(idempotency_key)
    return await _checked_out(request, me.id, body, key)


async def _checked_out(request: Request, customer_id: uuid.UUID, body: Checkout,
                       key: str) -> Response:
    """One checkout implementation for the documented route and the fast one."""
    async with request.app.state.fast_pool.acquire() as connection:
        response = await actions.checkout(connection, request.app.state.service.name,
                                          customer_id, body, key, request.app.state.settings)
    return JSONResponse(response, status_code=202)


@router.post("/quote/submit", status_code=202, response_model=QuoteAccepted)
async def submit_quote(me: Customer, session: Session, idempotency_key: IdempotencyKey = None,
                       body: Annotated[QuoteSubmit | None, Body()] = None):
    key = check_idempotency_key(idempotency_key)
    response = await actions.submit_quote(session, me.id, me.email, body, key)
    return JSONResponse(response, status_code=202)


# --- the fast routes: add to cart and checkout -----------------------------------------------
# Mounted as plain Starlette routes ahead of the documented ones above (as the catalog does):
# a signed-in customer's well-formed request is parsed, checked with the same schemas and domain
# rules and written on plain asyncpg, without FastAPI's dependency solving and SQLAlchemy's
# sessions, which cost more than the rules and the statements (bench/README.md "Cart"). Anything
# else (no bearer, a cart token, a body that is not a JSON object) is answered by the documented
# route itself, so every error keeps its exact shape.


def _documented(name: str) -> APIRoute:
    return next(r for r in router.routes if isinstance(r, APIRoute) and r.name == name)


class Documented(Response):
    """The documented route's answer to this request, its body (read already) replayed; the
    app-wide body guard (errors.refuse_control_characters) has passed in `_fast_json`."""

    def __init__(self, route: APIRoute, body: bytes):
        self.route, self.body, self.background = route, body, None

    async def __call__(self, scope, receive, send):
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": self.body, "more_body": False}

        await self.route.handle(scope, replay, send)


async def _fast_json(request: Request, documented: APIRoute) -> Any:
    """The body as the documented route would parse it, or `Documented` when only that route
    may answer (not JSON, not an object, no bearer, an X-Cart-Token to validate)."""
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if "json" in content_type and (errors := body_errors(body)):
        raise ValidationFailed(errors)
    if (content_type.partition(";")[0].strip() != "application/json"
            or "x-cart-token" in request.headers or "authorization" not in request.headers):
        return Documented(documented, body)
    try:
        data = json.loads(body)
    except ValueError:
        return Documented(documented, body)
    return data if isinstance(data, dict) else Documented(documented, body)


def _valid(schema, data: dict):
    try:
        return schema.model_validate(data)
    except PydanticValidationError as e:
        raise ValidationFailed(field_errors(e.errors(include_url=False))) from e


def _line_created(line: LineOut) -> Response:
    return Response(line.model_dump_json(), status_code=201, media_type="application/json")


def fast_add(kind: Kind):
    documented = _documented(f"{kind}_add")

    async def add(request: Request) -> Response:
        data = await _fast_json(request, documented)
        if isinstance(data, Documented):
            return data
        if (principal := await optional_principal(request)) is None:
            return Documented(documented, await request.body())
        body = _valid(AddItem, data)
        owner = Owner(customer_id=principal.id, uploaders=(owner_of(principal.id, None),))
        async with request.app.state.fast_pool.acquire() as connection:
            line = await actions.add_line_on(connection, principal.id, owner, kind, body,
                                             request.app.state.settings.documents_secret,
                                             request.app.state.replicas_seen)
        return _line_created(line)

    return add


async def _fast_checkout(request: Request) -> Response:
    data = await _fast_json(request, _CHECKOUT)
    if isinstance(data, Documented):
        return data
    if (principal := await optional_principal(request)) is None:
        return Documented(_CHECKOUT, await request.body())
    body = _valid(Checkout, data)
    return await _checked_out(request, principal.id, body,
                              check_idempotency_key(request.headers.get("idempotency-key")))


_CHECKOUT = _documented("checkout")
router.routes[:0] = [
    Route("/api/cart/items", fast_add(Kind.PURCHASE), methods=["POST"], include_in_schema=False),
    Route("/api/cart/quote/items", fast_add(Kind.QUOTE), methods=["POST"],
          include_in_schema=False),
    Route("/api/cart/checkout", _fast_checkout, methods=["POST"], include_in_schema=False),
]


# --- the conditions of sale a checkout must accept -----------------------------------------

legal_router = APIRouter(prefix="/api/legal", tags=["legal"])


@legal_router.get("/terms", response_model=TermsOut)
async def current_terms(request: Request) -> TermsOut:
    return TermsOut(version=TERMS_VERSION, published_at=TERMS_PUBLISHED_AT,
                    url=terms_url(request.app.state.settings.storefront_url))
