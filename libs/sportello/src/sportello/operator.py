"""Operator commands for what the mechanisms parked: `sportello outbox` and `sportello dead-letters`.

  sportello outbox list SERVICE                 outbox rows the relay parked, with their error
  sportello outbox retry SERVICE (ID…|--all)    put them back in line (the relay wakes at once)
  sportello dead-letters list SERVICE           messages the consumer parked in <queue>.dead
  sportello dead-letters retry SERVICE (ID…|--all)  send them to the service's queue again

Failed emails have theirs in notifications: `sportello emails failed|retry`.
"""

from __future__ import annotations

import argparse
import asyncio
import json

import aio_pika
import asyncpg

from sportello.db import asyncpg_dsn
from sportello.messaging.consumer import ATTEMPT_HEADER
from sportello.messaging.outbox import NOTIFY_CHANNEL
from sportello.messaging.topology import QUORUM, dead_queue_name
from sportello.settings import Settings, get_settings

_PARKED = ("SELECT id, event_type, attempts, last_error, parked_at FROM outbox "
           "WHERE parked_at IS NOT NULL ORDER BY seq")
_RETRY = ("UPDATE outbox SET parked_at = NULL, attempts = 0, last_error = NULL "
          "WHERE parked_at IS NOT NULL AND ($1::boolean OR id = ANY($2::uuid[])) RETURNING id")


async def parked_outbox(settings: Settings, service: str) -> list[dict]:
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url(service)))
    try:
        return [dict(r) for r in await conn.fetch(_PARKED)]
    finally:
        await conn.close()


async def retry_outbox(settings: Settings, service: str, everything: bool, ids: list[str]) -> int:
    return await retry_rows(settings.database_url(service), _RETRY, NOTIFY_CHANNEL, everything, ids)


async def retry_rows(database_url: str, update: str, channel: str, everything: bool,
                     ids: list[str]) -> int:
    """Run a parked-rows UPDATE (`$1` all, `$2` the ids) and wake the loop that works the table."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with conn.transaction():
            rows = await conn.fetch(update, everything, ids)
            await conn.execute(f"SELECT pg_notify('{channel}', '')")
        return len(rows)
    finally:
        await conn.close()


async def dead_letters(settings: Settings, service: str, retry: set[str] | None = None,
                       everything: bool = False) -> list[dict]:
    """The parked messages of a service (all of them stay parked unless chosen for a retry)."""
    queue_name = settings.queue_name(service)
    connection = await aio_pika.connect(settings.amqp_url)
    out: list[dict] = []
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        dead = await channel.declare_queue(dead_queue_name(queue_name), durable=True,
                                           arguments=QUORUM)  # as topology declares it
        while (message := await dead.get(fail=False, no_ack=False)) is not None:
            headers = dict(message.headers or {})
            chosen = everything or (retry is not None and message.message_id in retry)
            out.append({"message_id": message.message_id, "type": message.type,
                        "error_type": headers.get("x-error-type"),
                        "error": str(headers.get("x-error", ""))[:300], "retried": chosen})
            if chosen:
                headers.pop(ATTEMPT_HEADER, None)
                await channel.default_exchange.publish(aio_pika.Message(
                    message.body, headers=headers, content_type=message.content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=message.message_id,
                    type=message.type, correlation_id=message.correlation_id,
                    app_id=message.app_id), routing_key=queue_name)
                await message.ack()
        # Closing the channel hands every message not acknowledged back to the dead queue.
    return out


def parked_command(argv: list[str], *, prog: str, what: str, list_verb: str, key: str,
                   list_parked, retry, listed: str, retried: str) -> int:
    """`sportello PROG LIST_VERB KEY` and `sportello PROG retry KEY (ID…|--all)`, for any kind of
    parked item; `key` is a positional ("service") or an optional filter ("--recipient")."""
    parser = argparse.ArgumentParser(prog=f"sportello {prog}", description=what)
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser(list_verb, help="elenca").add_argument(key)
    again = sub.add_parser("retry", help="riprova gli elementi indicati")
    if not key.startswith("-"):
        again.add_argument(key)
    again.add_argument("ids", nargs="*")
    again.add_argument("--all", action="store_true")
    args = parser.parse_args(argv)
    value = getattr(args, key.lstrip("-"), None)
    settings = get_settings()
    if args.action == list_verb:
        rows = asyncio.run(list_parked(settings, value))
        for row in rows:
            print(json.dumps(row, default=str, ensure_ascii=False))
        print(f"{len(rows)} {listed}")
        return 0
    if not args.all and not args.ids:
        parser.error("indica gli id da riprovare oppure --all")
    print(f"{asyncio.run(retry(settings, value, bool(args.all), list(args.ids)))} {retried}")
    return 0


async def _retry_dead_letters(settings: Settings, service: str, everything: bool,
                              ids: list[str]) -> int:
    rows = await dead_letters(settings, service, set(ids), everything)
    return sum(r["retried"] for r in rows)


def outbox_command(argv: list[str]) -> int:
    return parked_command(argv, prog="outbox", what="Righe dell'outbox parcheggiate dal relay.",
                          list_verb="list", key="service", list_parked=parked_outbox,
                          retry=retry_outbox, listed="righe parcheggiate",
                          retried="righe rimesse in coda")


def dead_letters_command(argv: list[str]) -> int:
    return parked_command(argv, prog="dead-letters",
                          what="Messaggi parcheggiati dal consumer in <coda>.dead.",
                          list_verb="list", key="service", list_parked=dead_letters,
                          retry=_retry_dead_letters, listed="messaggi parcheggiati",
                          retried="messaggi rimandati alla coda")
