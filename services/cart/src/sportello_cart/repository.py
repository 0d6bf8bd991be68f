"""Reading and writing the cart's tables: owners, carts, lines, replicas, idempotent answers."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
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
    LineRow,
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
    # A quote from before quotes kept the exemption carries none: the service's, as a new line.
    replica = await services(session, {q.service.slug for q in data.lines})
    for q in data.lines:
        known = replica.get(q.service.slug)
        await session.execute(insert(CartLine).values({
            **snapshot_columns(q), "id": uuid.uuid4(), "cart_id": cart.id,
            "vat_exemption": q.vat_exemption or (known.vat_exemption if known else None),
            "unit_net_cents": q.unit_net_cents, "quote_id": data.quote_id,
            "quote_line_id": q.line_id,
        }).on_conflict_do_nothing(constraint="uq_cart_lines_quote_line"))


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


# --- the fast routes (api.py): plain asyncpg, as few statements as the rules allow ----------

_SERVICE = "SELECT snapshot::text, active, version FROM catalog_services WHERE slug = $1"

@lru_cache(maxsize=256)  # by stored text: a replica row changes only when catalog publishes
def parsed_snapshot(text: str, active: bool) -> ServiceSnapshot:
    return ServiceSnapshot.model_validate({**json.loads(text), "active": active})


@dataclass(frozen=True)
class Replica:
    """A service's replica row as one read saw it: its version names its state, since a
    publication always raises it (and the add's statement checks `active` too)."""

    service: ServiceSnapshot
    version: int


class ReplicasSeen:
    """The replica rows this process read last, by slug: an add may price against one and let
    its statement check that the row is still the same (`add_line_on`'s `seen_version`)."""

    def __init__(self, size: int = 256):
        self.size, self._rows = size, {}

    def get(self, slug: str) -> Replica | None:
        return self._rows.get(slug)

    def put(self, slug: str, replica: Replica) -> None:
        if slug not in self._rows and len(self._rows) >= self.size:
            del self._rows[next(iter(self._rows))]  # the oldest
        self._rows[slug] = replica


async def replica_on(connection, slug: str) -> Replica | None:
    """The service's replica row now; None if never published (or only a tombstone)."""
    row = await connection.fetchrow(_SERVICE, slug)
    if row is None or row[0] is None:
        return None
    return Replica(parsed_snapshot(row[0], row[1]), row[2])


async def service_on(connection, slug: str) -> ServiceSnapshot | None:
    """`service` on an asyncpg connection."""
    replica = await replica_on(connection, slug)
    return replica.service if replica is not None else None


# Find or create the customer's cart, count its lines and insert the new one if there is room
# (and, given $16, if the service's replica row is still at that version and active), in one
# statement; no row back means a concurrent first add created the cart meanwhile.
_ADD_LINE = """
WITH found AS (
  SELECT id FROM carts WHERE customer_id = $1 AND kind = $2
), made AS (
  INSERT INTO carts (id, kind, customer_id) SELECT $3, $2, $1 WHERE NOT EXISTS (SELECT FROM found)
  ON CONFLICT DO NOTHING RETURNING id
), cart AS (
  SELECT id FROM found UNION ALL SELECT id FROM made
), room AS (
  SELECT cart.id, (SELECT count(*) FROM cart_lines l WHERE l.cart_id = cart.id) AS lines FROM cart
), same AS (
  SELECT $16::int IS NULL OR EXISTS (
    SELECT FROM catalog_services WHERE slug = $5 AND version = $16 AND active) AS service
), line AS (
  INSERT INTO cart_lines (id, cart_id, service_slug, service_name, service_version, answers,
                          answer_labels, quantity, unit_net_cents, price_breakdown, vat_rate_bp,
                          vat_exemption)
  SELECT $4, room.id, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12::jsonb, $13, $14
  FROM room, same WHERE room.lines < $15 AND same.service
  RETURNING id
)
SELECT room.id, room.lines, EXISTS (SELECT FROM line), (SELECT service FROM same) FROM room
"""


async def add_line_on(connection, customer_id: uuid.UUID, kind: Kind, line: LineRow,
                      max_lines: int, seen_version: int | None = None
                      ) -> tuple[uuid.UUID, int, bool] | None:
    """(the cart's id, its lines before, whether `line` went in: not when it had `max_lines`);
    None when `seen_version` is given and the replica row is no longer at it and active."""
    args = (customer_id, kind.value, uuid.uuid4(), line.id, line.service_slug,
            line.service_name, line.service_version, json.dumps(line.answers),
            json.dumps(line.answer_labels), line.quantity, line.unit_net_cents,
            None if line.price_breakdown is None else json.dumps(line.price_breakdown),
            line.vat_rate_bp, line.vat_exemption, max_lines, seen_version)
    for _ in range(2):  # the second time, the concurrent add's cart is visible
        row = await connection.fetchrow(_ADD_LINE, *args)
        if row is not None:
            return (row[0], row[1], row[2]) if row[3] else None
    raise RuntimeError("cart neither found nor created")


# A checkout reads without a lock and writes only if it can take every line it read (see
# `TAKE_LINES`): the key's first answer, the cart and its lines, their services' replicas and the
# customer's contact, in one statement.
_TO_SUBMIT = """
WITH cart AS (SELECT id FROM carts WHERE customer_id = $1 AND kind = $4),
replica AS (SELECT array_agg(snapshot::text) AS snapshots, array_agg(active) AS active
            FROM catalog_services
            WHERE snapshot IS NOT NULL AND slug IN (
              SELECT service_slug FROM cart_lines WHERE cart_id = (SELECT id FROM cart)))
SELECT (SELECT id FROM cart),
       (SELECT json_build_object('fingerprint', fingerprint, 'response', response)::text
        FROM idempotent_requests WHERE customer_id = $1 AND scope = $2 AND key = $3),
       (SELECT coalesce(json_agg(json_build_object(
                 'id', id, 'service_slug', service_slug, 'service_name', service_name,
                 'service_version', service_version, 'answers', answers,
                 'answer_labels', answer_labels, 'quantity', quantity,
                 'unit_net_cents', unit_net_cents, 'price_breakdown', price_breakdown,
                 'vat_rate_bp', vat_rate_bp, 'vat_exemption', vat_exemption,
                 'quote_id', quote_id, 'quote_line_id', quote_line_id) ORDER BY seq), '[]')::text
        FROM cart_lines WHERE cart_id = (SELECT id FROM cart)),
       replica.snapshots, replica.active,
       (SELECT json_build_object('account_id', account_id, 'email', email,
                                 'first_name', first_name, 'last_name', last_name)::text
        FROM contacts WHERE account_id = $1)
FROM replica
"""


@dataclass(frozen=True)
class ToSubmit:
    """What a submission reads (see `to_submit_on`)."""

    prior: dict[str, Any] | None
    lines: list[LineRow]
    services: dict[str, ServiceSnapshot]
    contact: ContactPayload | None


def _line(d: dict[str, Any], cart_id: uuid.UUID) -> LineRow:
    uuids = {k: uuid.UUID(d[k]) if d[k] else None for k in ("id", "quote_id", "quote_line_id")}
    return LineRow(**{**d, **uuids, "cart_id": cart_id})


async def to_submit_on(connection, customer_id: uuid.UUID, kind: Kind, scope: str,
                       key: str) -> ToSubmit:
    cart_id, prior, lines, texts, active, contact_ = await connection.fetchrow(
        _TO_SUBMIT, customer_id, scope, key, kind.value)
    # The snapshots as plain text arrays: no JSON string escaping of each stored text to undo.
    snapshots = [parsed_snapshot(t, a) for t, a in zip(texts or (), active or (), strict=True)]
    return ToSubmit(
        prior=json.loads(prior) if prior else None,
        lines=[_line(d, cart_id) for d in json.loads(lines)],
        services={s.slug: s for s in snapshots},
        contact=ContactPayload.model_validate_json(contact_) if contact_ else None,
    )


# The write of a submission, as CTEs of the statement that also writes its event
# (messaging.emit_on: parameters from $4, `TAKEN_ALL` its condition). It takes the lines it read
# or nothing: each one still there is locked (waiting for a concurrent submission that holds it,
# skipping it once that one has deleted it), and only if all are does it delete them and keep
# the key's answer. A line added meanwhile is not among them and stays in the cart. The locks are
# taken in id order, so two submissions that read different sets of lines cannot deadlock.
TAKE_LINES = """
held AS (SELECT id FROM cart_lines WHERE id = ANY($4::uuid[]) ORDER BY id FOR UPDATE),
taken AS (DELETE FROM cart_lines
          WHERE id = ANY($4::uuid[]) AND (SELECT count(*) FROM held) = $5 RETURNING id),
remembered AS (INSERT INTO idempotent_requests (customer_id, scope, key, fingerprint, response)
               SELECT $6::uuid, $7::text, $8::text, $9::text, $10::jsonb
               WHERE (SELECT count(*) FROM taken) = $5)
"""
TAKEN_ALL = "(SELECT count(*) FROM taken) = $5"


def take_lines_args(lines: list[LineRow], customer_id: uuid.UUID, scope: str, key: str,
                    fingerprint: str, response: dict[str, Any]) -> tuple:
    return ([line.id for line in lines], len(lines), customer_id, scope, key, fingerprint,
            json.dumps(response))
