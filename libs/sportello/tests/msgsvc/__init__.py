"""A tiny service that exists only to test the messaging mechanism end to end.

State: `effects` rows (one per handled event); its handler fails on purpose for slugs that start
with "fail", and counts every call so tests can tell "handled once" from "deduplicated".
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import aio_pika
from fastapi import APIRouter
from sportello.contracts.envelope import Envelope
from sportello.contracts.events import ServiceRetired
from sportello.messaging import emit
from sportello.service import Service
from sportello.testing import wait_for
from sqlalchemy import text

CALLS: Counter = Counter()
EVENT = "catalog.service.retired"  # any contract event type will do; its payload is small
# Built once, as a service's own statements are.
_EFFECT = text("INSERT INTO effects (event_id, slug) VALUES (:id, :slug)")


async def on_event(session, event: Envelope) -> None:
    data = event.payload()
    CALLS[data.slug] += 1
    if data.slug.startswith("fail"):
        raise RuntimeError(f"cannot handle {data.slug}")
    await session.execute(_EFFECT, {"id": event.id, "slug": data.slug})


def make_service(name: str) -> Service:
    return Service(
        name=name,
        routers=[APIRouter()],
        migrations=Path(__file__).parent / "migrations",
        handlers={EVENT: on_event},
    )


async def effects(client) -> list[str]:
    async with client.app.state.sessionmaker() as session:
        rows = await session.execute(text("SELECT slug FROM effects ORDER BY slug"))
        return [r[0] for r in rows]


async def emit_committed(client, slug: str, commit: bool = True) -> None:
    async with client.app.state.sessionmaker() as session:
        await emit(session, EVENT, ServiceRetired(slug=slug, version=1))
        if commit:
            await session.commit()
        else:
            await session.rollback()




async def take_parked(settings, service_name: str, what: str, timeout: float = 15):
    """The next message parked in the service's dead queue (taken off it), within `timeout`."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        dead = await channel.declare_queue(f"{settings.queue_name(service_name)}.dead", passive=True)
        parked = await wait_for(lambda: dead.get(fail=False), timeout=timeout, message=what)
        await parked.ack()
    return parked
