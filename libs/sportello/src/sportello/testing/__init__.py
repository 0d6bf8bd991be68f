"""Test helpers shared by every service: settings for a run, a running service, polling, tokens.

Fixtures live in `sportello.testing.plugin` (loaded for every test run by the root pytest
configuration).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aio_pika
import httpx

from sportello.contracts.envelope import Envelope
from sportello.db import ensure_database, upgrade_async
from sportello.settings import Settings
from sportello.tokens import TokenIssuer


async def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02, message: str = ""):
    """Poll `predicate` (sync or async) until it returns something truthy; return that value.

    The one way tests wait for asynchronous results: a deadline, never a bare sleep.
    """
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")
        await asyncio.sleep(interval)


@asynccontextmanager
async def running_service(service, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The service's app against its own fresh database, lifespan running, as an HTTP client."""
    from asgi_lifespan import LifespanManager

    if service.migrations is not None:
        url = settings.database_url(service.name)
        await ensure_database(url)
        await upgrade_async(service.migrations, url)
    app = service.create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        if app.state.relay is not None:
            await asyncio.wait_for(app.state.relay.connected.wait(), 15)
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            client.app = app  # tests may reach app.state (sessionmaker, relay)
            yield client


def bearer(settings: Settings, account_id: uuid.UUID | None = None, role: str = "customer",
           email: str | None = None, session_id: str | None = None) -> dict[str, str]:
    """Authorization header of a freshly signed access token (the key accounts would use)."""
    token = TokenIssuer(settings).access_token(
        account_id or uuid.uuid4(), role, email,
        extra_claims={"sid": session_id} if session_id else None)
    return {"Authorization": f"Bearer {token}"}


class EventTap:
    """A private queue bound to the run's exchange: what other services would receive."""

    def __init__(self, settings: Settings, *routing_keys: str):
        self.settings = settings
        self.routing_keys = routing_keys or ("#",)
        self.events: list[Envelope] = []

    async def __aenter__(self) -> EventTap:
        self._conn = await aio_pika.connect(self.settings.amqp_url)
        channel = await self._conn.channel()
        exchange = await channel.declare_exchange(
            self.settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for key in self.routing_keys:
            await queue.bind(exchange, key)

        async def on_message(message):
            async with message.process():
                self.events.append(Envelope.model_validate(json.loads(message.body)))

        await queue.consume(on_message)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._conn.close()

    def of_type(self, event_type: str) -> list[Envelope]:
        return [e for e in self.events if e.type == event_type]

    async def wait_for(self, event_type: str, where=lambda data: True, timeout: float = 10.0,
                       count: int = 1) -> list[Envelope]:
        def found():
            hits = [e for e in self.of_type(event_type) if where(e.data)]
            return hits if len(hits) >= count else None

        return await wait_for(found, timeout, message=f"{count} × {event_type}")


def problem_fields(body: dict[str, Any]) -> dict[str, str]:
    """field → message of a 422 problem body."""
    return {e["field"]: e["message"] for e in body.get("errors", [])}


async def publish_event(settings: Settings, event_type: str, data, *, producer: str = "test",
                        event_id: uuid.UUID | None = None) -> Envelope:
    """Publish one event on this run's exchange, as another service's relay would."""
    from sportello.contracts.events import EVENTS

    assert isinstance(data, EVENTS[event_type]), f"{event_type} takes {EVENTS[event_type].__name__}"
    envelope = Envelope(type=event_type, producer=producer, data=data.model_dump(mode="json"),
                        **({"id": event_id} if event_id else {}))
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC,
                                                  durable=True)
        await exchange.publish(
            aio_pika.Message(envelope.model_dump_json().encode(), message_id=str(envelope.id),
                             type=event_type, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                             content_type="application/json"),
            routing_key=event_type,
        )
    return envelope
