"""The payment provider interface: a hosted payment session out, a verified webhook outcome in.

Card numbers never reach Sportello: the customer types them on the provider's hosted page, and
the provider tells us the outcome by a signed webhook. Adapters: `sandbox` (dev and tests) and
`stripe` (Checkout Session), chosen by `settings.payment_provider`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal, Protocol

import httpx
from sportello.settings import Settings

Outcome = Literal["succeeded", "failed"]
# How old (or new) a signed webhook may be: a captured one cannot be replayed later.
TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class SessionRequest:
    payment_id: uuid.UUID  # our attempt id: the idempotency key towards the provider
    order_id: uuid.UUID
    number: str
    amount_cents: int
    description: str
    customer_email: str
    return_url: str


@dataclass(frozen=True)
class HostedSession:
    session_id: str
    redirect_url: str


@dataclass(frozen=True)
class WebhookEvent:
    """A verified provider event. `outcome` None: an event type that changes nothing here."""

    event_id: str
    session_id: str | None
    order_id: uuid.UUID | None
    outcome: Outcome | None
    amount_cents: int | None = None
    reason: str | None = None


class InvalidWebhook(Exception):
    """Bad signature, stale timestamp or unreadable body: answered 400, nothing recorded."""


class ProviderUnavailable(Exception):
    """The provider's API did not answer or refused the session."""


class PaymentProvider(Protocol):
    name: str

    async def create_session(self, request: SessionRequest) -> HostedSession: ...

    def parse_webhook(self, body: bytes, headers: dict[str, str]) -> WebhookEvent: ...


def make_provider(settings: Settings, http: httpx.AsyncClient) -> PaymentProvider:
    if settings.payment_provider == "stripe":
        from sportello_orders.providers.stripe_checkout import StripeProvider

        return StripeProvider(settings)
    if settings.payment_provider == "sandbox":
        from sportello_orders.providers.sandbox import SandboxProvider

        return SandboxProvider(settings, http)
    raise ValueError(f"unknown payment_provider {settings.payment_provider!r}")
