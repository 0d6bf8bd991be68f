"""The sandbox provider adapter: sessions over the sandbox's HTTP API, HMAC-signed webhooks.

Signature header `Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
with the shared `payment_sandbox_secret`; a timestamp older (or newer) than 5 minutes is refused,
so a captured webhook cannot be replayed later (and a replay within the window finds its event id
already recorded).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import httpx
import structlog
from sportello.settings import Settings, check_sandbox_allowed

from sportello_orders.providers import (
    TOLERANCE_SECONDS,
    HostedSession,
    InvalidWebhook,
    ProviderUnavailable,
    SessionRequest,
    WebhookEvent,
)

log = structlog.get_logger()

HEADER = "sandbox-signature"
OUTCOMES = {"payment.succeeded": "succeeded", "payment.failed": "failed"}


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(secret: str, header: str | None, body: bytes, now: float | None = None) -> None:
    if not header:
        raise InvalidWebhook("firma mancante")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError) as e:
        raise InvalidWebhook("firma illeggibile") from e
    # Bytes, not str: compare_digest refuses a str with non-ASCII characters (it was a 500).
    if not hmac.compare_digest(signature(secret, timestamp, body).encode(),
                               given.encode("utf-8", "replace")):
        raise InvalidWebhook("firma non valida")
    if abs((now or time.time()) - timestamp) > TOLERANCE_SECONDS:
        raise InvalidWebhook("timestamp fuori tolleranza")


class SandboxProvider:
    name = "sandbox"

    def __init__(self, settings: Settings, http: httpx.AsyncClient):
        self.base_url = settings.payment_sandbox_url.rstrip("/")
        check_sandbox_allowed(settings)  # a secret of this installation, a shop on this machine
        self.secret = settings.payment_sandbox_secret
        self.http = http

    async def create_session(self, request: SessionRequest) -> HostedSession:
        body = {
            "client_reference": str(request.payment_id),
            "order_id": str(request.order_id),
            "reference": request.number,
            "amount_cents": request.amount_cents,
            "currency": "EUR",
            "description": request.description,
            "customer_email": request.customer_email,
            "return_url": request.return_url,
        }
        try:
            r = await self.http.post(f"{self.base_url}/v1/sessions", json=body, timeout=10)
        except httpx.HTTPError as e:
            log.warning("payment_provider_unreachable", provider=self.name, error=repr(e))
            raise ProviderUnavailable(self.name) from e
        if r.status_code != 201:
            log.warning("payment_session_refused", provider=self.name, status=r.status_code,
                        body=r.text[:500])
            raise ProviderUnavailable(self.name)
        data = r.json()
        return HostedSession(session_id=data["id"], redirect_url=data["url"])

    def parse_webhook(self, body: bytes, headers: dict[str, str]) -> WebhookEvent:
        verify(self.secret, headers.get(HEADER), body)
        try:
            event = json.loads(body)
            data = event["data"]
            order_id = uuid.UUID(data["order_id"]) if data.get("order_id") else None
            amount = data.get("amount_cents")
            if amount is not None and (type(amount) is not int or not 0 <= amount < 2**63):
                raise ValueError("amount_cents is not an integer number of cents")
            return WebhookEvent(
                event_id=str(event["id"]),
                session_id=data.get("session_id"),
                order_id=order_id,
                outcome=OUTCOMES.get(event.get("type")),
                amount_cents=amount,
                reason=str(data["reason"])[:200] if data.get("reason") is not None else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
            raise InvalidWebhook("corpo illeggibile") from e
