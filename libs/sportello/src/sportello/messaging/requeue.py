"""Move queues declared with other arguments (today's classic queues) to their quorum declaration.

A queue's type and arguments cannot change in place: RabbitMQ refuses the new declaration
(PRECONDITION_FAILED). For each consuming service whose queues differ, with its consumers stopped
(publishers may keep running):

1. a holding quorum queue `<svc>.migrating` is bound to the exchange like `<svc>`, and `<svc>`
   unbound: events published from now on wait there;
2. every message of `<svc>` and of its delay queues is moved into the holding queue (consume,
   publish with confirm, then ack: a crash in between duplicates a message, the inbox absorbs
   it, none is lost); a delayed retry thus runs early, with its attempt count kept;
3. the old queues are deleted (only if empty) and declared anew; the holding queue's messages
   move into the new `<svc>`, its binding goes, it is deleted;
4. `<svc>.dead` moves the same way through `<svc>.dead.migrating`, parked messages kept as they are.

Every step can run again: a second run after a crash finishes the move.
"""

from __future__ import annotations

import aio_pika
import aiormq
import structlog
from aio_pika.abc import AbstractChannel, AbstractConnection

from sportello.messaging.topology import (
    QUORUM,
    dead_queue_name,
    declare_exchange,
    persistent_copy,
    service_queue_arguments,
)
from sportello.settings import Settings

log = structlog.get_logger()


class ConsumersStillRunning(RuntimeError):
    pass


async def _matches(connection: AbstractConnection, name: str, arguments: dict) -> bool:
    """True when `name` is absent or declared with exactly these arguments (it exists after)."""
    channel = await connection.channel()
    try:
        await channel.declare_queue(name, durable=True, arguments=arguments)
    except aiormq.exceptions.ChannelPreconditionFailed:
        return False
    await channel.close()
    return True


async def _exists(connection: AbstractConnection, name: str) -> tuple[int, int] | None:
    """(messages, consumers) of an existing queue, None when there is no such queue."""
    channel = await connection.channel()
    try:
        queue = await channel.declare_queue(name, passive=True)
    except aiormq.exceptions.ChannelNotFoundEntity:
        return None
    result = (queue.declaration_result.message_count, queue.declaration_result.consumer_count)
    await channel.close()
    return result


async def move_messages(channel: AbstractChannel, source: str, target: str) -> int:
    """Move every message waiting in `source` to `target`; ack each only once its copy is confirmed."""
    queue = await channel.declare_queue(source, passive=True)
    moved = 0
    while (message := await queue.get(no_ack=False, fail=False)) is not None:
        copy = persistent_copy(message)
        await channel.default_exchange.publish(copy, routing_key=target)
        await message.ack()
        moved += 1
    return moved


async def _fresh(connection: AbstractConnection, channel: AbstractChannel) -> AbstractChannel:
    await channel.close()
    return await connection.channel(publisher_confirms=True)


async def _drain_and_delete(connection: AbstractConnection, channel: AbstractChannel,
                            holding: str, target: str) -> None:
    """Empty an unbound holding queue into `target`, then delete it (quorum queues have no
    delete-if-empty: the emptiness is checked here, and nothing routes to it any more)."""
    while True:
        await move_messages(channel, holding, target)
        state = await _exists(connection, holding)
        if state is None:
            return
        if state[0] == 0:
            await channel.queue_delete(holding)
            return


async def _refuse_if_consumed(connection: AbstractConnection, names: list[str]) -> None:
    for name in names:
        state = await _exists(connection, name)
        if state is not None and state[1] > 0:
            raise ConsumersStillRunning(
                f"{name} has {state[1]} consumer(s): stop the service's processes first")


async def _move_service(connection: AbstractConnection, settings: Settings, service: str,
                        event_types: list[str], wanted: dict[str, dict]) -> int:
    channel = await connection.channel(publisher_confirms=True)
    exchange = await declare_exchange(channel, settings)
    main, *rest = wanted
    retries, dead = rest[:-1], rest[-1]
    moved = 0
    holding = await channel.declare_queue(f"{main}.migrating", durable=True, arguments=QUORUM)
    for event_type in sorted(set(event_types)):
        await holding.bind(exchange, routing_key=event_type)
    if await _exists(connection, main) is not None:
        old = await channel.declare_queue(main, passive=True)
        for event_type in sorted(set(event_types)):
            await old.unbind(exchange, routing_key=event_type)
    # Delay queues first: once they are gone nothing dead-letters into `main` while it is away.
    for name in [*retries, main]:
        if await _exists(connection, name) is None:
            continue
        moved += (await _exists(connection, name) or (0, 0))[0]
        await _drain_and_delete(connection, channel, name, holding.name)
    # A channel that used a queue must not meet its successor of another type (RabbitMQ 3.10
    # crashes the channel): the new queues get a channel of their own.
    channel = await _fresh(connection, channel)
    exchange = await declare_exchange(channel, settings)
    holding = await channel.declare_queue(holding.name, durable=True, arguments=QUORUM)
    new_main = await channel.declare_queue(main, durable=True, arguments=wanted[main])
    for name in retries:
        await channel.declare_queue(name, durable=True, arguments=wanted[name])
    for event_type in sorted(set(event_types)):
        await new_main.bind(exchange, routing_key=event_type)
        await holding.unbind(exchange, routing_key=event_type)
    await _drain_and_delete(connection, channel, holding.name, main)

    parked_before = await _exists(connection, f"{dead}.migrating") is not None  # an earlier crash
    if parked_before or not await _matches(connection, dead, wanted[dead]):
        parking = await channel.declare_queue(f"{dead}.migrating", durable=True, arguments=QUORUM)
        moved += (await _exists(connection, dead) or (0, 0))[0]
        await _drain_and_delete(connection, channel, dead, parking.name)
        channel = await _fresh(connection, channel)
        await channel.declare_queue(dead, durable=True, arguments=wanted[dead])
        await _drain_and_delete(connection, channel, parking.name, dead)
    await channel.close()
    return moved


async def migrate_queues(settings: Settings, consumers: dict[str, list[str]]) -> dict[str, int]:
    """Bring every consuming service's queues to their declaration; service → messages moved."""
    report: dict[str, int] = {}
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        for service, event_types in consumers.items():
            wanted = service_queue_arguments(settings, service)
            names = list(wanted)
            leftover = [f"{names[0]}.migrating", f"{dead_queue_name(names[0])}.migrating"]
            differ = [n for n in names if await _exists(connection, n) is not None
                      and not await _matches(connection, n, wanted[n])]
            if not differ and not any([await _exists(connection, n) for n in leftover]):
                continue
            await _refuse_if_consumed(connection, names)
            log.info("queues_migrating", service=service, queues=differ)
            report[service] = await _move_service(connection, settings, service, event_types,
                                                  wanted)
            log.info("queues_migrated", service=service, moved=report[service])
    return report


async def queues_to_migrate(settings: Settings, consumers: dict[str, list[str]]) -> list[str]:
    """Names of the queues whose declaration differs from today's (a classic queue, say)."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        differ = []
        for service in consumers:
            for name, arguments in service_queue_arguments(settings, service).items():
                if await _exists(connection, name) is not None and \
                        not await _matches(connection, name, arguments):
                    differ.append(name)
        return differ
