"""Reading and writing the cart's tables: owners, carts, lines, replicas, idempotent answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sportello import replicas
from sportello.contracts.events import Contact as ContactPayload
from sportello.contracts.events import (
    QuoteAccepted,
    ServiceSnapshot,
    snapshot_columns,
)
from sportello.errors import NotFound
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_cart import domain
from sportello_cart.domain import Kind
from sportello_cart.models import (
    Cart,
    CartLine,
    CartSession,
    CatalogService,
    Contact,
    IdempotentRequest,
)


@dataclass(frozen=True)
class Owner:
    """Whose carts a request works on: a signed-in customer or an anonymous session."""

    customer_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    # Whose upload receipts its lines may carry (sportello.contracts.documents.owner_of).
    uploaders: tuple[str, ...] = ()

    def where(self):
        if self.customer_id is not None:
            return Cart.customer_id == self.customer_id
        return Cart.session_id == self.session_id


# --- anonymous sessions -----------------------------------------------------------------------

async def new_session(session: AsyncSession) -> str:
    token = domain.new_cart_token()
    session.add(CartSession(token_hash=domain.hash_token(token)))
    return token


async def session_of_token(session: AsyncSession, token: str) -> uuid.UUID:
    """The session of a cart token, touched now (the purge counts from the last use)."""
    found = await session.scalar(
        update(CartSession).where(CartSession.token_hash == domain.hash_token(token))
        .values(touched_at=func.now()).returning(CartSession.id)
    )
    if found is None:
        raise NotFound("Carrello non trovato o scaduto: apri una nuova sessione del carrello.")
    return found


# --- carts and lines --------------------------------------------------------------------------

async def find_cart(session: AsyncSession, owner: Owner, kind: Kind, *,
                    lock: bool = False) -> Cart | None:
    query = select(Cart).where(owner.where(), Cart.kind == kind.value)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def get_or_create_cart(session: AsyncSession, owner: Owner, kind: Kind) -> Cart:
    cart = await find_cart(session, owner, kind)
    if cart is not None:
        return cart
    # Two first requests at once: one inserts, the other finds it.
    await session.execute(
        insert(Cart).values(id=uuid.uuid4(), kind=kind.value, customer_id=owner.customer_id,
                            session_id=owner.session_id).on_conflict_do_nothing()
    )
    cart = await find_cart(session, owner, kind)
    assert cart is not None
    return cart


async def lines_of(session: AsyncSession, cart_id: uuid.UUID) -> list[CartLine]:
    rows = await session.scalars(
        select(CartLine).where(CartLine.cart_id == cart_id).order_by(CartLine.seq)
    )
    return list(rows)


async def cart_for_adding(session: AsyncSession, owner: Owner, kind: Kind) -> tuple[uuid.UUID, int]:
    """The owner's cart id and its number of lines, in one round trip when the cart exists."""
    count = (select(func.count()).select_from(CartLine).where(CartLine.cart_id == Cart.id)
             .scalar_subquery())
    found = (await session.execute(
        select(Cart.id, count).where(owner.where(), Cart.kind == kind.value))).first()
    if found is not None:
        return found[0], found[1]
    return (await get_or_create_cart(session, owner, kind)).id, 0


async def own_line(session: AsyncSession, owner: Owner, kind: Kind, line_id: uuid.UUID) -> CartLine:
    """A line of the owner's cart of this kind; 404 for anyone else's (never reveal it exists)."""
    line = await session.scalar(
        select(CartLine).join(Cart, Cart.id == CartLine.cart_id)
        .where(CartLine.id == line_id, owner.where(), Cart.kind == kind.value)
        .with_for_update(of=CartLine)
    )
    if line is None:
        raise NotFound("Riga del carrello non trovata.")
    return line


async def empty_cart(session: AsyncSession, cart_id: uuid.UUID) -> None:
    await session.execute(delete(CartLine).where(CartLine.cart_id == cart_id))


async def merge(session: AsyncSession, anonymous: Owner, customer: Owner) -> None:
    """Move every line of the anonymous carts into the customer's carts of the same kind.

    Lines are moved, not copied: a second merge finds nothing left to move.
    """
    for kind in Kind:
        source = await find_cart(session, anonymous, kind, lock=True)
        if source is None:
            continue
        target = await get_or_create_cart(session, customer, kind)
        await session.execute(
            update(CartLine).where(CartLine.cart_id == source.id).values(cart_id=target.id)
        )


# --- replicas ---------------------------------------------------------------------------------

async def service(session: AsyncSession, slug: str) -> ServiceSnapshot | None:
    """The service as last published, with its current active flag; None if never published."""
    row = await session.get(CatalogService, slug)
    if row is None or row.snapshot is None:
        return None
    return ServiceSnapshot.model_validate({**row.snapshot, "active": row.active})


async def services(session: AsyncSession, slugs: set[str]) -> dict[str, ServiceSnapshot]:
    if not slugs:
        return {}
    rows = await session.scalars(select(CatalogService).where(CatalogService.slug.in_(slugs)))
    return {r.slug: ServiceSnapshot.model_validate({**r.snapshot, "active": r.active})
            for r in rows if r.snapshot is not None}


async def contact(session: AsyncSession, account_id: uuid.UUID) -> ContactPayload | None:
    return await replicas.contact(session, Contact, account_id)


async def forget_customer(session: AsyncSession, account_id: uuid.UUID) -> None:
    # Lines go with their carts (ON DELETE CASCADE).
    await session.execute(delete(Cart).where(Cart.customer_id == account_id))
    await session.execute(delete(Contact).where(Contact.account_id == account_id))
    await session.execute(delete(IdempotentRequest)
                          .where(IdempotentRequest.customer_id == account_id))


async def add_quoted_lines(session: AsyncSession, data: QuoteAccepted) -> None:
    cart = await get_or_create_cart(session, Owner(customer_id=data.customer.account_id),
                                    Kind.PURCHASE)
    # A quote keeps no exemption of its own: the line takes its service's, as a new line would.
    replica = await services(session, {q.service.slug for q in data.lines})
    for q in data.lines:
        known = replica.get(q.service.slug)
        await session.execute(insert(CartLine).values(
            id=uuid.uuid4(), cart_id=cart.id, **snapshot_columns(q),
            vat_exemption=q.vat_exemption or (known.vat_exemption if known else None),
            unit_net_cents=q.unit_net_cents, quote_id=data.quote_id, quote_line_id=q.line_id,
        ).on_conflict_do_nothing(constraint="uq_cart_lines_quote_line"))


# --- idempotent answers -----------------------------------------------------------------------

async def prior_answer(session: AsyncSession, customer_id: uuid.UUID, scope: str,
                       key: str) -> IdempotentRequest | None:
    return await session.get(IdempotentRequest, (customer_id, scope, key))


def remember_answer(session: AsyncSession, customer_id: uuid.UUID, scope: str, key: str,
                    fingerprint: str, response: dict[str, Any]) -> None:
    session.add(IdempotentRequest(customer_id=customer_id, scope=scope, key=key,
                                  fingerprint=fingerprint, response=response))


async def delete_idle_sessions(session: AsyncSession, idle_for: timedelta) -> int:
    """Forget anonymous carts untouched for `idle_for`: how many sessions went."""
    # Carts and their lines go with the session (ON DELETE CASCADE). Idempotent by nature.
    result = await session.execute(
        delete(CartSession).where(CartSession.touched_at < func.now() - idle_for)
    )
    return result.rowcount or 0
