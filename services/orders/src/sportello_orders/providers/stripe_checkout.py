"""The Stripe adapter: a Checkout Session for the hosted page, webhooks verified by the library.

`stripe.Webhook.construct_event` checks the `Stripe-Signature` header (HMAC-SHA256 of
"<t>.<body>" with the endpoint's `whsec_` secret, 5-minute tolerance). Only the events that
settle a Checkout Session's payment matter here.
"""

from __future__ import annotations

import uuid

import stripe
import structlog
from sportello.settings import Settings

from sportello_orders import providers

log = structlog.get_logger()



class StripeProvider:
    name = "stripe"

    def __init__(self, settings: Settings):
        if not settings.stripe_api_key or not settings.stripe_webhook_secret:
            raise ValueError("payment_provider=stripe needs stripe_api_key and stripe_webhook_secret")
        base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        self.client = stripe.StripeClient(
            settings.stripe_api_key, base_addresses=base, max_network_retries=1,
            http_client=stripe.HTTPXClient(timeout=10),
        )
        self.webhook_secret = settings.stripe_webhook_secret

    async def create_session(self, request: providers.SessionRequest) -> providers.HostedSession:
        sep = "&" if "?" in request.return_url else "?"
        params = {
            "mode": "payment",
            "client_reference_id": str(request.order_id),
            "customer_email": request.customer_email or None,
            "metadata": {"order_id": str(request.order_id), "order_number": request.number},
            "line_items": [{
                "quantity": 1,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": request.amount_cents,
                    "product_data": {"name": request.description},
                },
            }],
            "success_url": f"{request.return_url}{sep}esito=ok&session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{request.return_url}{sep}esito=annullato",
        }
        params = {k: v for k, v in params.items() if v is not None}
        try:
            session = await self.client.v1.checkout.sessions.create_async(
                params, {"idempotency_key": str(request.payment_id)}
            )
        except stripe.StripeError as e:
            log.warning("payment_provider_unreachable", provider=self.name, error=repr(e))
            raise providers.ProviderUnavailable(self.name) from e
        return providers.HostedSession(session_id=session.id, redirect_url=session.url)

    def parse_webhook(self, body: bytes, headers: dict[str, str]) -> providers.WebhookEvent:
        try:
            event = stripe.Webhook.construct_event(
                body, headers.get("stripe-signature"), self.webhook_secret,
                tolerance=providers.TOLERANCE_SECONDS,
            )
        except (stripe.SignatureVerificationError, ValueError) as e:
            raise providers.InvalidWebhook(str(e)) from e
        except Exception as e:  # e.g. a JSON body that is not a Stripe event at all
            raise providers.InvalidWebhook("corpo illeggibile") from e
        # A StripeObject is not a dict: read the plain form of the event.
        data = event.to_dict()
        obj = (data.get("data") or {}).get("object")
        if not isinstance(obj, dict) or not data.get("id") or not data.get("type"):
            raise providers.InvalidWebhook("evento Stripe incompleto")
        order_ref = obj.get("client_reference_id") or (obj.get("metadata") or {}).get("order_id")
        try:
            order_id = uuid.UUID(str(order_ref)) if order_ref else None
        except ValueError:
            order_id = None
        amount = obj.get("amount_total")
        return providers.WebhookEvent(
            event_id=str(data["id"]),
            session_id=obj.get("id"),
            order_id=order_id,
            outcome=outcome_of(data["type"], obj.get("payment_status")),
            amount_cents=amount if isinstance(amount, int) else None,
            reason="sessione_scaduta" if data["type"] == "checkout.session.expired" else None,
        )


def outcome_of(event_type: str, payment_status: str | None):
    """Which Checkout Session events settle the payment (delayed methods settle later)."""
    if event_type == "checkout.session.completed":
        return "succeeded" if payment_status in ("paid", "no_payment_required") else None
    if event_type == "checkout.session.async_payment_succeeded":
        return "succeeded"
    if event_type in ("checkout.session.async_payment_failed", "checkout.session.expired"):
        return "failed"
    return None
