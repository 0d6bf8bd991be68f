"""The cart's use cases: show a cart, add, change and remove its lines, merge an anonymous cart
into the customer's, check out and submit a quote request (each key answered once).

Each one loads through the repository, checks the domain, writes, emits, and commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import structlog
from sportello import vies
from sportello.contracts.billing import Billing, billing_errors, normalised
from sportello.contracts.documents import documents_in
from sportello.contracts.events import (
    CartCheckedOut,
    PricedLine,
    QuoteCartSubmitted,
    QuoteRequestLine,
    TermsAcceptance,
    snapshot_of,
)
from sportello.contracts.fields import prefixed
from sportello.contracts.idempotency import KEY_REUSED
from sportello.contracts.tax import taxed_amounts
from sportello.errors import Conflict, ProblemError, ValidationFailed
from sportello.messaging import emit, emit_on
from sportello.settings import Settings
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_cart import domain, repository, views
from sportello_cart.domain import Kind
from sportello_cart.models import CartLine, LineRow
from sportello_cart.repository import Owner
from sportello_cart.schemas import AddItem, CartOut, CartPreview, Checkout, LineOut, PatchItem, QuoteSubmit

log = structlog.get_logger()


# --- lines, the same for both carts -------------------------------------------------------------

async def show_cart(session: AsyncSession, owner: Owner, kind: Kind) -> CartOut:
    cart = await repository.get_or_create_cart(session, owner, kind)
    lines = await repository.lines_of(session, cart.id)
    await session.commit()
    return views.cart_out(cart.id, kind, lines)


async def add_line(session: AsyncSession, owner: Owner, kind: Kind, body: AddItem,
                   documents_secret: str | None = None) -> LineOut:
    service, priced = checked_line(kind, await repository.service(session, body.service_slug),
                                   body, owner, documents_secret)
    cart_id, count = await repository.cart_for_adding(session, owner, kind)
    domain.check_room(count)
    line = new_line(cart_id, kind, service, priced, body.quantity)
    session.add(line)
    await session.commit()
    return line_added(kind, line)


async def add_line_on(connection, customer_id: uuid.UUID, owner: Owner, kind: Kind,
                      body: AddItem, documents_secret: str | None = None,
                      seen: repository.ReplicasSeen | None = None) -> LineOut:
    """`add_line` for a customer on a plain asyncpg connection (api.py's fast route): one
    statement finds or creates the cart, counts its lines and inserts the new one. Priced
    against the service's replica as `seen` last, that statement is the only one; when it finds
    the row changed since, or that replica refuses the line, the current row decides."""
    known = seen.get(body.service_slug) if seen is not None else None
    if known is not None:
        try:
            service, priced = checked_line(kind, known.service, body, owner, documents_secret)
        except ProblemError:
            pass  # perhaps only under the replica seen: the current one gives the answer
        else:
            line = await _inserted(connection, customer_id, kind, service, priced, body,
                                   known.version)
            if line is not None:
                return line
    replica = await repository.replica_on(connection, body.service_slug)
    if seen is not None and replica is not None:
        seen.put(body.service_slug, replica)
    service, priced = checked_line(kind, replica.service if replica else None, body, owner,
                                   documents_secret)
    line = await _inserted(connection, customer_id, kind, service, priced, body, None)
    assert line is not None
    return line


async def _inserted(connection, customer_id: uuid.UUID, kind: Kind, service, priced,
                    body: AddItem, seen_version: int | None) -> LineOut | None:
    line = new_line(None, kind, service, priced, body.quantity, LineRow)
    found = await repository.add_line_on(connection, customer_id, kind, line, domain.MAX_LINES,
                                         seen_version)
    if found is None:
        return None
    line.cart_id, count, added = found
    if not added:
        domain.check_room(count)
    return line_added(kind, line)


def checked_line(kind: Kind, service, body: AddItem, owner: Owner,
                 documents_secret: str | None):
    """The service, if this cart takes it, and the line's answers validated and priced."""
    service = domain.check_service(kind, service, body.service_slug)
    return service, domain.price_line(service, body.answers,
                                      domain.receipts(documents_secret, owner.uploaders))


def new_line(cart_id, kind: Kind, service, priced: domain.PricedLine, quantity: int,
             row=CartLine):
    return row(
        id=uuid.uuid4(), cart_id=cart_id, service_slug=service.slug, service_name=service.name,
        service_version=service.version, answers=priced.answers,
        answer_labels=[label.model_dump() for label in priced.answer_labels],
        quantity=quantity,
        unit_net_cents=priced.unit_net_cents if kind is Kind.PURCHASE else None,
        price_breakdown=priced.price_breakdown.model_dump() if kind is Kind.PURCHASE else None,
        vat_rate_bp=service.vat_rate_bp, vat_exemption=service.vat_exemption,
    )


def line_added(kind: Kind, line: CartLine | LineRow) -> LineOut:
    log.info("cart_line_added", cart_id=str(line.cart_id), line_id=str(line.id), kind=kind.value,
             service=line.service_slug)
    return views.line_out(line)


async def change_line(session: AsyncSession, owner: Owner, kind: Kind, line_id: uuid.UUID,
                      body: PatchItem, documents_secret: str | None = None) -> LineOut:
    """Correct the answers and/or the quantity; the line is re-validated and re-priced against
    the current service, which is also how a customer accepts a changed price."""
    line = await repository.own_line(session, owner, kind, line_id)
    domain.check_changeable(line.quote_id)
    service = domain.check_service(kind, await repository.service(session, line.service_slug),
                                   line.service_slug)
    answers = body.answers if body.answers is not None else line.answers
    priced = domain.price_line(service, answers, domain.receipts(
        documents_secret, owner.uploaders, kept=documents_in(line.answers)))
    line.answers = priced.answers
    line.answer_labels = [label.model_dump() for label in priced.answer_labels]
    line.service_name = service.name
    line.service_version = service.version
    line.vat_rate_bp = service.vat_rate_bp
    line.vat_exemption = service.vat_exemption
    if kind is Kind.PURCHASE:
        line.unit_net_cents = priced.unit_net_cents
        line.price_breakdown = priced.price_breakdown.model_dump()
    if body.quantity is not None:
        line.quantity = body.quantity
    await session.commit()
    return views.line_out(line)


async def remove_line(session: AsyncSession, owner: Owner, kind: Kind, line_id: uuid.UUID) -> None:
    line = await repository.own_line(session, owner, kind, line_id)
    await session.delete(line)
    await session.commit()


# --- merge --------------------------------------------------------------------------------------

async def merge(session: AsyncSession, session_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    anonymous = Owner(session_id=session_id)
    customer = Owner(customer_id=customer_id)
    await repository.merge(session, anonymous, customer)
    log.info("cart_merged", account_id=str(customer_id))


# --- checkout and quote submission --------------------------------------------------------------

async def replay(session: AsyncSession, customer_id: uuid.UUID, scope: str, key: str,
                 fingerprint: str) -> dict | None:
    """The first answer to this key, or None; the same key with another body is refused."""
    prior = await repository.prior_answer(session, customer_id, scope, key)
    if prior is None:
        return None
    if prior.fingerprint != fingerprint:
        raise ValidationFailed([KEY_REUSED])
    return prior.response


async def lines_to_submit(session: AsyncSession, customer_id: uuid.UUID, kind: Kind, scope: str,
                          key: str, fingerprint: str, empty: str):
    """(first answer, None, []) when this key was used already; else (None, cart, its lines),
    the cart locked: the row lock serialises submissions of one cart, so the second sees it
    empty (or its key used). An empty cart is Conflict(`empty`)."""
    cart = await repository.find_cart(session, Owner(customer_id=customer_id), kind, lock=True)
    if (answer := await replay(session, customer_id, scope, key, fingerprint)) is not None:
        return answer, None, []
    lines = await repository.lines_of(session, cart.id) if cart else []
    if cart is None or not lines:
        raise Conflict(empty)
    return None, cart, lines


async def answer_once(session: AsyncSession, cart_id: uuid.UUID, customer_id: uuid.UUID,
                      scope: str, key: str, fingerprint: str, response: dict) -> dict:
    """Empty the submitted cart, keep the answer for its key, commit (with the event emitted)."""
    await repository.empty_cart(session, cart_id)
    repository.remember_answer(session, customer_id, scope, key, fingerprint, response)
    await session.commit()
    return response


# How many times a checkout reads again when its cart changed between its read and its write.
CHECKOUT_ATTEMPTS = 3


async def checkout(connection, producer: str, customer_id: uuid.UUID, body: Checkout,
                   key: str, settings: Settings) -> dict:
    """The purchase cart becomes a `cart.checked_out` event, once per key, on a plain asyncpg
    connection in two statements: one read of all it needs, then one write that takes exactly
    the lines read (with the event and the key's answer) or, if a concurrent change to them came
    first, nothing, and the checkout reads again. The second of two racing checkouts finds the
    cart empty or its key answered."""
    fingerprint, billing = checked_checkout(body)
    for _ in range(CHECKOUT_ATTEMPTS):
        found = await repository.to_submit_on(connection, customer_id, Kind.PURCHASE,
                                              "checkout", key)
        if found.prior is not None:
            if found.prior["fingerprint"] != fingerprint:
                raise ValidationFailed([KEY_REUSED])
            return found.prior["response"]
        if not found.lines:
            raise Conflict("Il carrello è vuoto.")
        refuse_changed(found.lines, found.services)
        order_id, event = await order_checked_out(customer_id, body, billing, found.lines,
                                                  found.contact, settings)
        response = await write_checkout(connection, producer, customer_id, key, fingerprint,
                                        found.lines, order_id, event)
        if response is not None:
            log.info("cart_checked_out", order_id=str(order_id), account_id=str(customer_id),
                     lines=len(found.lines))
            return response
    raise Conflict("Il carrello è cambiato durante l'acquisto: controllalo e riprova.")


async def write_checkout(connection, producer: str, customer_id: uuid.UUID, key: str,
                         fingerprint: str, lines: list[LineRow], order_id: uuid.UUID,
                         event: CartCheckedOut) -> dict | None:
    """The checkout's one write for the lines it read: its answer, or None (nothing written)
    when those lines were no longer all there to take."""
    response = {"order_id": str(order_id)}
    written = await emit_on(
        connection, producer, "cart.checked_out", event, with_writes=repository.TAKE_LINES,
        only_if=repository.TAKEN_ALL, args=repository.take_lines_args(
            lines, customer_id, "checkout", key, fingerprint, response))
    return None if written is None else response


def checked_checkout(body: Checkout) -> tuple[str, Billing]:
    """The body's fingerprint and its billing data normalised, or 422 naming what is wrong."""
    fingerprint = domain.fingerprint(body.model_dump(mode="json"))
    errors = prefixed(billing_errors(body.billing), "billing") + domain.terms_errors(
        body.terms_version)
    if errors:
        raise ValidationFailed(errors)
    return fingerprint, normalised(body.billing)


def refuse_changed(lines: list[CartLine | LineRow], replica: dict) -> None:
    """Conflict naming each line whose service was retired or re-priced since it was added."""
    problems = domain.reprice_problems([
        domain.LineToCheck(id=line.id, service_slug=line.service_slug,
                           service_name=line.service_name, answers=line.answers,
                           unit_net_cents=line.unit_net_cents or 0,
                           vat_rate_bp=line.vat_rate_bp, locked=line.quote_id is not None,
                           service_version=line.service_version)
        for line in lines
    ], replica)
    if problems:
        raise Conflict("Alcune righe del carrello sono cambiate dall'aggiunta: controllale "
                       "prima di completare l'acquisto.", extra={"lines": problems})


async def order_checked_out(customer_id: uuid.UUID, body: Checkout, billing: Billing,
                            lines: list[CartLine | LineRow], known, settings: Settings):
    """(the new order's id, the cart.checked_out event that asks for it)."""
    customer = domain.the_customer(customer_id, known, billing=billing)
    priced = [priced_line(line, billing) for line in lines]
    order_id = uuid.uuid4()
    now = datetime.now(UTC)
    return order_id, CartCheckedOut(
        order_id=order_id, customer=customer, lines=priced,
        totals=views.taxed_totals(priced, settings.stamp_duty_charged),
        billing=billing, payment_method=body.payment_method,
        vat_number_check=await vies.check(settings, billing),
        terms=TermsAcceptance(version=body.terms_version, accepted_at=now),
        early_start_consent_at=now if domain.asks_early_start(billing, body.early_start_consent)
        else None,
    )


def priced_line(line: CartLine | LineRow, billing: Billing) -> PricedLine:
    """The contract's line, straight from the row (a purchase line always has its price), taxed
    by the shared rule for this customer."""
    amounts, treatment = taxed_amounts(line.unit_net_cents, line.quantity, line.vat_rate_bp,
                                       line.vat_exemption, billing)
    return PricedLine(line_id=line.id, quote_id=line.quote_id, treatment=treatment,
                      **{**snapshot_of(line), **amounts.model_dump()})


async def preview(session: AsyncSession, customer_id: uuid.UUID, billing: Billing,
                  settings: Settings) -> CartPreview:
    """The purchase cart as checkout would price it for these billing data (the payment step)."""
    errors = billing_errors(billing)
    if errors:
        raise ValidationFailed(prefixed(errors, "billing"))
    billing = normalised(billing)
    cart = await repository.get_or_create_cart(session, Owner(customer_id=customer_id),
                                               Kind.PURCHASE)
    lines = await repository.lines_of(session, cart.id)
    await session.commit()
    return views.taxed_cart_out(cart.id, lines, [priced_line(line, billing) for line in lines],
                                settings.stamp_duty_charged)




async def submit_quote(session: AsyncSession, customer_id: uuid.UUID, email: str | None,
                       body: QuoteSubmit | None, key: str) -> dict:
    body = body or QuoteSubmit()
    message = body.message.strip() if body.message and body.message.strip() else None
    asked = {"budget_cents": body.budget_cents, "wanted_by": body.wanted_by}
    fingerprint = domain.fingerprint(
        {"message": message, **{k: v for k, v in asked.items() if v is not None}})
    answer, cart, lines = await lines_to_submit(session, customer_id, Kind.QUOTE, "quote", key,
                                                fingerprint, "La richiesta di preventivo è vuota.")
    if answer is not None:
        return answer
    customer = domain.the_customer(customer_id, await repository.contact(session, customer_id),
                                   email=email)
    quote_id = uuid.uuid4()
    await emit(session, "quote_cart.submitted", QuoteCartSubmitted(
        quote_id=quote_id, customer=customer, message=message,
        budget_cents=body.budget_cents, wanted_by=body.wanted_by,
        lines=[QuoteRequestLine(line_id=line.id, **snapshot_of(line)) for line in lines],
    ))
    response = await answer_once(session, cart.id, customer_id, "quote", key, fingerprint,
                                 {"quote_id": str(quote_id)})
    log.info("quote_cart_submitted", quote_id=str(quote_id), account_id=str(customer_id),
             lines=len(lines))
    return response
