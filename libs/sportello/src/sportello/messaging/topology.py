"""Exchange and queues, declared idempotently by whoever starts first.

For a consuming service `svc`:
- `svc`            durable queue bound to `exchange` with each event type its handlers take;
- `svc.retry.<n>`  one delay queue per retry step: messages wait there `retry_delays[n]` seconds,
                   then dead-letter straight back into `svc` through the default exchange;
- `svc.dead`       parked messages that kept failing, with the error in their headers.

All three are quorum queues: durable and replicated across a RabbitMQ cluster (classic mirroring
is gone in RabbitMQ 4). `svc` and the delay queues also carry `x-delivery-limit`: a message whose
delivery kept killing its consumer (redelivered that many times without an ack) goes to `svc.dead`
instead of looping for ever. `svc.dead` has no limit: there is nowhere further to park, and a
limit there would drop the message.

A queue declared earlier with other arguments (today's classic queues) cannot be redeclared;
`sportello.messaging.requeue` moves it to its new declaration without losing a message.
"""

from __future__ import annotations

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

from sportello.settings import Settings


async def declare_exchange(channel: AbstractChannel, settings: Settings) -> AbstractExchange:
    return await channel.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True)


def retry_queue_name(queue: str, step: int) -> str:
    return f"{queue}.retry.{step}"


def dead_queue_name(queue: str) -> str:
    return f"{queue}.dead"


QUORUM = {"x-queue-type": "quorum"}
# Dead-lettering a quorum queue does is at-most-once unless asked: a delayed retry must not vanish
# on its way back (at-least-once needs reject-publish overflow; no queue here has a length limit).
_SAFE_DEAD_LETTERING = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


def service_queue_arguments(settings: Settings, service: str) -> dict[str, dict]:
    """name → declaration arguments of each queue of a consuming service, main queue first."""
    name = settings.queue_name(service)
    queues = {
        name: {
            **QUORUM,
            "x-delivery-limit": settings.queue_delivery_limit,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": dead_queue_name(name),
            **_SAFE_DEAD_LETTERING,
        }
    }
    for step, delay in enumerate(settings.retry_delays):
        queues[retry_queue_name(name, step)] = {
            **QUORUM,
            "x-delivery-limit": settings.queue_delivery_limit,
            "x-message-ttl": int(delay * 1000),
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": name,
            **_SAFE_DEAD_LETTERING,
        }
    queues[dead_queue_name(name)] = dict(QUORUM)
    return queues


async def declare_service_queues(
    channel: AbstractChannel, settings: Settings, service: str, event_types: list[str]
) -> AbstractQueue:
    exchange = await declare_exchange(channel, settings)
    main = None
    for name, arguments in service_queue_arguments(settings, service).items():
        queue = await channel.declare_queue(name, durable=True, arguments=arguments)
        main = main or queue
    assert main is not None
    for event_type in sorted(set(event_types)):
        await main.bind(exchange, routing_key=event_type)
    return main


async def declare_all(settings: Settings, consumers: dict[str, list[str]]) -> None:
    """Declare every consuming service's queues, so no event published first is unroutable."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        await declare_exchange(channel, settings)
        for service, event_types in consumers.items():
            await declare_service_queues(channel, settings, service, event_types)


def persistent_copy(message: aio_pika.abc.AbstractIncomingMessage,
                    headers: dict | None = None) -> aio_pika.Message:
    """A taken message, to publish again elsewhere (retry, dead-letter or another queue) as itself."""
    return aio_pika.Message(
        message.body,
        headers={**(message.headers or {}), **(headers or {})},
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        priority=message.priority,
        correlation_id=message.correlation_id,
        message_id=message.message_id,
        timestamp=message.timestamp,
        type=message.type,
        app_id=message.app_id,
    )
