"""The deny-list of ended sessions (`sid`) and erased accounts (`sub`), shared in Redis.

Access tokens are verified offline for 15 minutes; this list is how a logout, a password change
or an erasure reaches every verifier at once. Accounts writes an entry right after its commit (the
next request is refused) and again from its own event (`account.sessions_revoked`,
`account.deleted`), so a Redis blip between commit and write loses nothing. An entry lives as long
as the longest access token it could stop, so the list stays short.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import redis.asyncio as redis
import structlog

from sportello.errors import ProblemError, Unauthorized
from sportello.settings import Settings

log = structlog.get_logger()

REVOKED = "Sessione terminata: accedi di nuovo."
# Slack over the token lifetime for clocks a little apart.
SKEW_SECONDS = 60


class RevocationsUnavailable(ProblemError):
    """Redis did not answer: refuse rather than let an ended session through."""

    status = 503

    def __init__(self) -> None:
        super().__init__("Il servizio è momentaneamente non disponibile: riprova tra poco.",
                         headers={"Retry-After": "1"})


class Revocations:
    def __init__(self, settings: Settings):
        self.redis = redis.from_url(settings.redis_url, socket_timeout=1.0,
                                    socket_connect_timeout=1.0)
        self.prefix = f"{settings.redis_prefix}revoked:"
        self.ttl = settings.access_token_minutes * 60 + SKEW_SECONDS

    async def close(self) -> None:
        await self.redis.aclose()

    async def revoke(self, *, sessions: Iterable[uuid.UUID | str] = (),
                     subjects: Iterable[uuid.UUID | str] = ()) -> None:
        keys = [f"{self.prefix}sid:{s}" for s in sessions] + \
               [f"{self.prefix}sub:{s}" for s in subjects]
        if not keys:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, b"1", ex=self.ttl)
            await pipe.execute()

    async def revoke_now(self, **kw) -> None:
        """Best effort right after a commit; the event written in that commit makes it certain."""
        try:
            await self.revoke(**kw)
        except redis.RedisError as e:
            log.warning("revocation_deferred_to_event", error=type(e).__name__)

    async def is_revoked(self, subject: uuid.UUID | str, session_id: str | None) -> bool:
        keys = [f"{self.prefix}sub:{subject}"]
        if session_id:
            keys.append(f"{self.prefix}sid:{session_id}")
        try:
            return any(await self.redis.mget(keys))
        except redis.RedisError as e:
            log.warning("revocations_unreachable", error=type(e).__name__)
            raise RevocationsUnavailable() from e

    async def refuse_revoked(self, subject: uuid.UUID | str, session_id: str | None) -> None:
        if await self.is_revoked(subject, session_id):
            raise Unauthorized(REVOKED)
