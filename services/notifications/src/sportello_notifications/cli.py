"""Operator command: `sportello emails failed [--recipient R]` and `sportello emails retry (ID…|--all)`.

A failed email (refused for good, or out of attempts) stays failed until an operator retries it;
the metric `sportello_emails_failed` says how many there are.
"""

from __future__ import annotations

import asyncpg
from sportello.db import asyncpg_dsn
from sportello.operator import parked_command, retry_rows
from sportello.settings import Settings

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


async def retry(settings: Settings, recipient: str | None, everything: bool, ids: list[str]) -> int:
    return await retry_rows(settings.database_url("notifications"), _RETRY, NOTIFY_CHANNEL,
                            everything, ids)


def command(argv: list[str]) -> int:
    return parked_command(argv, prog="emails", what="Email non consegnate.", list_verb="failed",
                          key="--recipient", list_parked=failed, retry=retry,
                          listed="email fallite", retried="email rimesse in coda")
