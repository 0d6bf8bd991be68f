"""Operator command: `sportello emails failed [--recipient R]` and `sportello emails retry (ID…|--all)`.

A failed email (refused for good, or out of attempts) stays failed until an operator retries it;
the metric `sportello_emails_failed` says how many there are.
"""

from __future__ import annotations

import argparse
import asyncio
import json

import asyncpg
from sportello.db import asyncpg_dsn
from sportello.settings import Settings, get_settings

from sportello_notifications.repository import NOTIFY_CHANNEL

_FAILED = ("SELECT id, template, recipient, subject, attempts, last_error, created_at "
           "FROM notifications WHERE status = 'failed' AND ($1::text IS NULL OR recipient = $1) "
           "ORDER BY created_at")
# Back to pending with a fresh set of attempts: the operator fixed what made it fail.
_RETRY = ("UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = now() "
          "WHERE status = 'failed' AND ($1::boolean OR id = ANY($2::uuid[])) RETURNING id")


async def failed(settings: Settings, recipient: str | None = None) -> list[dict]:
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url("notifications")))
    try:
        return [dict(r) for r in await conn.fetch(_FAILED, recipient)]
    finally:
        await conn.close()


async def retry(settings: Settings, everything: bool, ids: list[str]) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url("notifications")))
    try:
        async with conn.transaction():
            rows = await conn.fetch(_RETRY, everything, ids)
            await conn.execute(f"SELECT pg_notify('{NOTIFY_CHANNEL}', '')")
        return len(rows)
    finally:
        await conn.close()


def command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sportello emails", description="Email non consegnate.")
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("failed", help="elenca le email fallite")
    listing.add_argument("--recipient")
    again = sub.add_parser("retry", help="riprova le email fallite indicate")
    again.add_argument("ids", nargs="*")
    again.add_argument("--all", action="store_true")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.action == "failed":
        rows = asyncio.run(failed(settings, args.recipient))
        for row in rows:
            print(json.dumps(row, default=str, ensure_ascii=False))
        print(f"{len(rows)} email fallite")
        return 0
    if not args.all and not args.ids:
        parser.error("indica gli id da riprovare oppure --all")
    print(f"{asyncio.run(retry(settings, args.all, args.ids))} email rimesse in coda")
    return 0
