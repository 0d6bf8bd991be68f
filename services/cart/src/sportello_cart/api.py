"""HTTP routes of the cart service (API.md "Cart"): parse, call the domain, answer with schemas."""

from __future__ import annotations

import uuid
from typing import Annotated

import structlog
from fastapi import APIRouter, Body, Depends, Header, Response
from fastapi.responses import JSONResponse
from sportello.auth import Customer, OptionalPrincipal
from sportello.contracts.billing import billing_errors, normalised
from sportello.contracts.events import (
    CartCheckedOut,
    PricedLine,
    QuoteCartSubmitted,
    QuoteRequestLine,
    ServiceRef,
)
from sportello.contracts.events import Contact as ContactPayload
from sportello.contracts.fields import FieldError, prefixed
from sportello.contracts.money import totals
from sportello.db import get_session
from sportello.errors import Conflict, Unauthorized, ValidationFailed
from sportello.messaging import emit
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_cart import domain, store
from sportello_cart.domain import Kind
from sportello_cart.models import CartLine
from sportello_cart.schemas import (
    AddItem,
    CartOut,
    Checkout,
    LineOut,
    OrderAccepted,
    PatchItem,
    QuoteAccepted,
    QuoteSubmit,
    SessionOut,
)
from sportello_cart.store import Owner

log = structlog.get_logger()
router = APIRouter(prefix="/api/cart", tags=["cart"])

Session = Annotated[AsyncSession, Depends(get_session)]
CartToken = Annotated[str | None, Header(alias="X-Cart-Token", max_length=200)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


async def current_owner(principal: OptionalPrincipal, session: Session,
                        cart_token: CartToken = None) -> Owner:
    """A bearer token means the customer's own carts; otherwise the anonymous session's."""
    if principal is not None:
        return Owner(customer_id=principal.id)
    if cart_token:
        return Owner(session_id=await store.session_of_token(session, cart_token))
    raise Unauthorized("Accedi oppure apri una sessione del carrello (POST /api/cart/session).")


CurrentOwner = Annotated[Owner, Depends(current_owner)]


@router.post("/session", status_code=201, response_model=SessionOut)
async def open_session(session: Session) -> SessionOut:
    token = await store.new_session(session)
    await session.commit()
    return SessionOut(cart_token=token)


# --- lines, the same for both carts -------------------------------------------------------------

async def show_cart(session: AsyncSession, owner: Owner, kind: Kind) -> CartOut:
    cart = await store.get_or_create_cart(session, owner, kind)
    lines = await store.lines_of(session, cart.id)
    await session.commit()
    return store.cart_out(cart.id, kind, lines)


async def add_line(session: AsyncSession, owner: Owner, kind: Kind, body: AddItem) -> LineOut:
    domain.refuse_nul(body.model_dump())
    service = domain.check_service(kind, await store.service(session, body.service_slug),
                                   body.service_slug)
    priced = domain.price_line(service, body.answers)
    cart_id, count = await store.cart_for_adding(session, owner, kind)
    if count >= domain.MAX_LINES:
        raise Conflict(f"Il carrello può contenere al massimo {domain.MAX_LINES} righe.")
    line = CartLine(
        id=uuid.uuid4(), cart_id=cart_id, service_slug=service.slug, service_name=service.name,
        service_version=service.version, answers=priced.answers,
        answer_labels=[label.model_dump() for label in priced.answer_labels],
        quantity=body.quantity,
        unit_net_cents=priced.unit_net_cents if kind is Kind.PURCHASE else None,
        vat_rate_bp=service.vat_rate_bp,
    )
    session.add(line)
    await session.commit()
    log.info("cart_line_added", cart_id=str(cart_id), line_id=str(line.id), kind=kind.value,
             service=service.slug)
    return store.line_out(line)


async def change_line(session: AsyncSession, owner: Owner, kind: Kind, line_id: uuid.UUID,
                      body: PatchItem) -> LineOut:
    """Correct the answers and/or the quantity; the line is re-validated and re-priced against
    the current service, which is also how a customer accepts a changed price."""
    domain.refuse_nul(body.model_dump())
    line = await store.own_line(session, owner, kind, line_id)
    if line.quote_id is not None:
        raise Conflict("Questa riga viene da un preventivo accettato: non si può modificare, "
                       "solo rimuovere.")
    service = domain.check_service(kind, await store.service(session, line.service_slug),
                                   line.service_slug)
    answers = body.answers if body.answers is not None else line.answers
    priced = domain.price_line(service, answers)
    line.answers = priced.answers
    line.answer_labels = [label.model_dump() for label in priced.answer_labels]
    line.service_name = service.name
    line.service_version = service.version
    line.vat_rate_bp = service.vat_rate_bp
    if kind is Kind.PURCHASE:
        line.unit_net_cents = priced.unit_net_cents
    if body.quantity is not None:
        line.quantity = body.quantity
    await session.commit()
    return store.line_out(line)


async def remove_line(session: AsyncSession, owner: Owner, kind: Kind, line_id: uuid.UUID) -> None:
    line = await store.own_line(session, owner, kind, line_id)
    await session.delete(line)
    await session.commit()


def item_routes(prefix: str, kind: Kind) -> None:
    @router.get(prefix, response_model=CartOut, name=f"{kind}_cart")
    async def get_cart(owner: CurrentOwner, session: Session) -> CartOut:
        return await show_cart(session, owner, kind)

    @router.post(f"{prefix}/items", status_code=201, response_model=LineOut, name=f"{kind}_add")
    async def add(body: AddItem, owner: CurrentOwner, session: Session) -> LineOut:
        return await add_line(session, owner, kind, body)

    @router.patch(f"{prefix}/items/{{line_id}}", response_model=LineOut, name=f"{kind}_change")
    async def change(line_id: uuid.UUID, body: PatchItem, owner: CurrentOwner,
                     session: Session) -> LineOut:
        return await change_line(session, owner, kind, line_id, body)

    @router.delete(f"{prefix}/items/{{line_id}}", status_code=204, name=f"{kind}_remove")
    async def remove(line_id: uuid.UUID, owner: CurrentOwner, session: Session) -> Response:
        await remove_line(session, owner, kind, line_id)
        return Response(status_code=204)


item_routes("", Kind.PURCHASE)
item_routes("/quote", Kind.QUOTE)


# --- merge --------------------------------------------------------------------------------------

@router.post("/merge", response_model=CartOut)
async def merge(me: Customer, session: Session, cart_token: CartToken = None) -> CartOut:
    if not cart_token:
        raise ValidationFailed([FieldError(field="X-Cart-Token",
                                                  message="Intestazione obbligatoria.")])
    anonymous = Owner(session_id=await store.session_of_token(session, cart_token))
    customer = Owner(customer_id=me.id)
    await store.merge(session, anonymous, customer)
    log.info("cart_merged", account_id=str(me.id))
    return await show_cart(session, customer, Kind.PURCHASE)


# --- checkout and quote submission --------------------------------------------------------------

async def replay(session: AsyncSession, customer_id: uuid.UUID, scope: str, key: str,
                 fingerprint: str) -> JSONResponse | None:
    """The first answer to this key, or None; the same key with another body is refused."""
    prior = await store.prior_answer(session, customer_id, scope, key)
    if prior is None:
        return None
    if prior.fingerprint != fingerprint:
        raise ValidationFailed([domain.KEY_REUSED])
    return JSONResponse(prior.response, status_code=202)


@router.post("/checkout", status_code=202, response_model=OrderAccepted)
async def checkout(body: Checkout, me: Customer, session: Session,
                   idempotency_key: IdempotencyKey = None):
    key = domain.check_idempotency_key(idempotency_key)
    domain.refuse_nul(body.model_dump(mode="json"))
    fingerprint = domain.fingerprint(body.model_dump(mode="json"))
    errors = billing_errors(body.billing)
    if errors:
        raise ValidationFailed(prefixed(errors, "billing"))
    billing = normalised(body.billing)
    owner = Owner(customer_id=me.id)
    # The row lock serialises checkouts of one cart: the second sees it empty (or its key used).
    cart = await store.find_cart(session, owner, Kind.PURCHASE, lock=True)
    if (answer := await replay(session, me.id, "checkout", key, fingerprint)) is not None:
        return answer
    lines = await store.lines_of(session, cart.id) if cart else []
    if cart is None or not lines:
        raise Conflict("Il carrello è vuoto.")
    replica = await store.services(session, {line.service_slug for line in lines})
    problems = domain.reprice_problems([
        domain.LineToCheck(id=line.id, service_slug=line.service_slug,
                           service_name=line.service_name, answers=line.answers,
                           unit_net_cents=line.unit_net_cents or 0,
                           vat_rate_bp=line.vat_rate_bp, locked=line.quote_id is not None)
        for line in lines
    ], replica)
    if problems:
        raise Conflict("Alcune righe del carrello sono cambiate dall'aggiunta: controllale "
                       "prima di completare l'acquisto.", extra={"lines": problems})
    customer = (await store.contact(session, me.id)
                or domain.contact_from_billing(me.id, billing))
    priced = [priced_line(line) for line in lines]
    order_id = uuid.uuid4()
    await emit(session, "cart.checked_out", CartCheckedOut(
        order_id=order_id, customer=customer, lines=priced, totals=totals(priced),
        billing=billing, payment_method=body.payment_method,
    ))
    await store.empty_cart(session, cart.id)
    response = {"order_id": str(order_id)}
    store.remember_answer(session, me.id, "checkout", key, fingerprint, response)
    await session.commit()
    log.info("cart_checked_out", order_id=str(order_id), account_id=str(me.id), lines=len(priced))
    return JSONResponse(response, status_code=202)


def priced_line(line: CartLine) -> PricedLine:
    out = store.line_out(line)
    return PricedLine(
        line_id=line.id, service=ServiceRef(**out.service.model_dump()), answers=out.answers,
        answer_labels=out.answer_labels, quantity=out.quantity, unit_net_cents=out.unit_net_cents,
        vat_rate_bp=out.vat_rate_bp, net_cents=out.net_cents, vat_cents=out.vat_cents,
        gross_cents=out.gross_cents, quote_id=line.quote_id,
    )


@router.post("/quote/submit", status_code=202, response_model=QuoteAccepted)
async def submit_quote(me: Customer, session: Session, idempotency_key: IdempotencyKey = None,
                       body: Annotated[QuoteSubmit | None, Body()] = None):
    key = domain.check_idempotency_key(idempotency_key)
    body = body or QuoteSubmit()
    domain.refuse_nul(body.model_dump())
    message = body.message.strip() if body.message and body.message.strip() else None
    fingerprint = domain.fingerprint({"message": message})
    owner = Owner(customer_id=me.id)
    cart = await store.find_cart(session, owner, Kind.QUOTE, lock=True)
    if (answer := await replay(session, me.id, "quote", key, fingerprint)) is not None:
        return answer
    lines = await store.lines_of(session, cart.id) if cart else []
    if cart is None or not lines:
        raise Conflict("La richiesta di preventivo è vuota.")
    customer = await store.contact(session, me.id)
    if customer is None and me.email:
        # The profile has not reached the cart yet: the token's email is enough to answer.
        customer = ContactPayload(account_id=me.id, email=me.email, first_name="", last_name="")
    if customer is None:
        raise Conflict("Il tuo profilo non è ancora disponibile: riprova tra qualche istante.",
                       headers={"Retry-After": "1"})
    quote_id = uuid.uuid4()
    await emit(session, "quote_cart.submitted", QuoteCartSubmitted(
        quote_id=quote_id, customer=customer, message=message,
        lines=[QuoteRequestLine(
            line_id=line.id,
            service=ServiceRef(slug=line.service_slug, name=line.service_name,
                               version=line.service_version),
            vat_rate_bp=line.vat_rate_bp, answers=line.answers,
            answer_labels=line.answer_labels, quantity=line.quantity,
        ) for line in lines],
    ))
    await store.empty_cart(session, cart.id)
    response = {"quote_id": str(quote_id)}
    store.remember_answer(session, me.id, "quote", key, fingerprint, response)
    await session.commit()
    log.info("quote_cart_submitted", quote_id=str(quote_id), account_id=str(me.id),
             lines=len(lines))
    return JSONResponse(response, status_code=202)
