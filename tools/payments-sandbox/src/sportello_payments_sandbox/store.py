"""The sandbox's memory (sessions and events, in process: it is a development tool) and the
webhook deliveries, signed and retried until the shop answers 2xx."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from sportello_payments_sandbox.signing import HEADER, sign

log = structlog.get_logger()

# Seconds before each delivery attempt of one event: quick at first, then backing off.
RETRY_DELAYS = (0.0, 0.5, 2.0, 5.0, 15.0, 60.0, 300.0, 900.0)


@dataclass
class CheckoutSession:
    id: str
    order_id: str
    reference: str
    amount_cents: int
    currency: str
    description: str
    return_url: str
    client_reference: str | None
    customer_email: str | None
    status: str = "open"  # open → needs_confirmation → succeeded | failed
    created: int = field(default_factory=lambda: int(time.time()))
    event_ids: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Event:
    id: str
    type: str
    created: int
    data: dict[str, Any]
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return any(200 <= (d.get("status") or 0) < 300 for d in self.deliveries)

    def body(self) -> bytes:
        # The same bytes on every attempt: only the signature's timestamp changes.
        return json.dumps({"id": self.id, "type": self.type, "created": self.created,
                           "data": self.data}, separators=(",", ":")).encode()

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "created": self.created, "data": self.data,
                "delivered": self.delivered, "deliveries": self.deliveries}


class Store:
    def __init__(self, webhook_url: str, secret: str):
        self.webhook_url = webhook_url
        self.secret = secret
        self.sessions: dict[str, CheckoutSession] = {}
        self.events: dict[str, Event] = {}
        self._tasks: set[asyncio.Task] = set()
        self._http: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._http = httpx.AsyncClient(timeout=10)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._http is not None:
            await self._http.aclose()

    def new_session(self, **fields) -> CheckoutSession:
        session = CheckoutSession(id="cs_sbx_" + secrets.token_hex(12), **fields)
        self.sessions[session.id] = session
        return session

    def settle(self, session: CheckoutSession, outcome: str, reason: str | None = None) -> Event:
        """Close the session with its outcome and announce it to the shop by webhook."""
        session.status = outcome
        data = {"session_id": session.id, "order_id": session.order_id,
                "reference": session.reference, "amount_cents": session.amount_cents,
                "currency": session.currency, "client_reference": session.client_reference}
        if reason:
            data["reason"] = reason
        event = Event(id="evt_sbx_" + secrets.token_hex(12), type=f"payment.{outcome}",
                      created=int(time.time()), data=data)
        self.events[event.id] = event
        session.event_ids.append(event.id)
        self.send(event)
        return event

    def send(self, event: Event) -> None:
        task = asyncio.create_task(self._deliver(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: Event) -> None:
        assert self._http is not None
        body = event.body()
        for attempt, delay in enumerate(RETRY_DELAYS, start=1):
            await asyncio.sleep(delay)
            record: dict[str, Any] = {"attempt": attempt, "at": time.time()}
            try:
                r = await self._http.post(self.webhook_url, content=body, headers={
                    HEADER: sign(self.secret, body), "Content-Type": "application/json"})
                record["status"] = r.status_code
            except httpx.HTTPError as e:
                record["error"] = repr(e)
            event.deliveries.append(record)
            if 200 <= record.get("status", 0) < 300:
                log.info("webhook_delivered", event_id=event.id, attempt=attempt)
                return
            log.warning("webhook_failed", event_id=event.id, attempt=attempt,
                        status=record.get("status"), error=record.get("error"))
        log.error("webhook_given_up", event_id=event.id)
