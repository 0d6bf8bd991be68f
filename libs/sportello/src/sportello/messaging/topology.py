"""Exchange and queues, declared idempotently by whoever starts first.

For a consuming service `svc`:
- `svc`            durable queue bound to `exchange` with each event type its handlers take;
- `svc.retry.<n>`  one delay queue per retry step: messages wait there `retry_delays[n]` seconds,
                   then dead-letter straight back into `svc` through the default exchange;
- `svc.dead`       parked messages that kept failing, with the error in their headers.
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


async def declare_service_queues(
    channel: AbstractChannel, settings: Settings, service: str, event_types: list[str]
) -> AbstractQueue:
    exchange = await declare_exchange(channel, settings)
    name = settings.queue_name(service)
    queue = await channel.declare_queue(name, durable=True)
    for event_type in sorted(set(event_types)):
        await queue.bind(exchange, routing_key=event_type)
    for step, delay in enumerate(settings.retry_delays):
        await channel.declare_queue(
            retry_queue_name(name, step),
            durable=True,
            arguments={
                "x-message-ttl": int(delay * 1000),
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": name,
            },
        )
    await channel.declare_queue(dead_queue_name(name), durable=True)
    return queue


async def declare_all(settings: Settings, consumers: dict[str, list[str]]) -> None:
    """Declare every consuming service's queues, so no event published first is unroutable."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        await declare_exchange(channel, settings)
        for service, event_types in consumers.items():
            await declare_service_queues(channel, settings, service, event_types)
