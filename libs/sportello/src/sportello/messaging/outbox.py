"""Writing an event: a row in the outbox, in the caller's transaction, plus a NOTIFY for the relay.

The NOTIFY is delivered only when the transaction commits, so the relay wakes exactly when
there is something committed to publish; a rolled-back change leaves neither row nor wake-up.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sportello.contracts.envelope import Envelope
from sportello.contracts.events import EVENTS
from sportello.observability import correlation_id

NOTIFY_CHANNEL = "sportello_outbox"

# One round trip: the row and the wake-up (PostgreSQL folds the notifications of one transaction).
_INSERT_AND_NOTIFY = text(
    "WITH row AS (INSERT INTO outbox (id, event_type, envelope) "
    "VALUES (:id, :type, CAST(:envelope AS jsonb)) RETURNING id) "
    f"SELECT pg_notify('{NOTIFY_CHANNEL}', '') FROM row"
)


def _checked(event_type: str, data: BaseModel) -> None:
    model = EVENTS.get(event_type)
    if model is None or not isinstance(data, model):
        raise TypeError(f"{event_type} takes a {model.__name__ if model else '?'} payload")


def envelope_of(producer: str, event_type: str, data: BaseModel, *, version: int = 1) -> Envelope:
    """The envelope an event travels in, its payload checked against the event's contract."""
    _checked(event_type, data)
    return Envelope(
        type=event_type,
        version=version,
        producer=producer,
        correlation_id=correlation_id.get(),
        data=data.model_dump(mode="json"),
    )


_NO_DATA = '"data":{}}'


def envelope_json(producer: str, event_type: str, data: BaseModel, *,
                  version: int = 1) -> tuple[uuid.UUID, str]:
    """(its id, `envelope_of(...)` as JSON): the payload serialised once by its own model, not
    turned into a dict and serialised again untyped (half of a large event's cost)."""
    _checked(event_type, data)
    head = Envelope(type=event_type, version=version, producer=producer,
                    correlation_id=correlation_id.get(), data={})
    text = head.model_dump_json()
    assert text.endswith(_NO_DATA)  # `data` is the envelope's last field
    return head.id, f"{text[:-len(_NO_DATA)]}\"data\":{data.model_dump_json()}}}"


async def emit(session: AsyncSession, event_type: str, data: BaseModel, *,
               version: int = 1) -> uuid.UUID:
    """Add an event to the outbox in the session's transaction (the event's id). The caller
    commits."""
    event_id, envelope = envelope_json(session.info.get("service", "unknown"), event_type, data,
                                       version=version)
    await session.execute(_INSERT_AND_NOTIFY,
                          {"id": event_id, "type": event_type, "envelope": envelope})
    return event_id


# The same statement for a plain asyncpg connection (a route's fast path).
_RAW_EMIT = ("emitted AS (INSERT INTO outbox (id, event_type, envelope) "
             "SELECT $1::uuid, $2::text, $3::jsonb WHERE {only_if} RETURNING id)")


async def emit_on(connection, producer: str, event_type: str, data: BaseModel, *,
                  version: int = 1, with_writes: str = "", args: tuple = (),
                  only_if: str = "true") -> uuid.UUID | None:
    """`emit` on an asyncpg connection (the event's id), in one statement: inside the caller's
    transaction, or as its own when there is none.

    `with_writes`: the caller's own data-modifying CTEs (parameters from $4, `args`), run in the
    same statement so the state change and its event cost one round trip. `only_if`: a condition
    on them (SQL); when it is false no event is written and the answer is None."""
    event_id, envelope = envelope_json(producer, event_type, data, version=version)
    emitted = _RAW_EMIT.format(only_if=only_if)
    ctes = f"{with_writes}, {emitted}" if with_writes else emitted
    status = await connection.execute(
        f"WITH {ctes} SELECT pg_notify('{NOTIFY_CHANNEL}', '') FROM emitted",
        event_id, event_type, envelope, *args)
    return None if status == "SELECT 0" else event_id
