"""Server-side sessions of the server-rendered apps (storefront, back office), kept in Redis.

The cookie holds only a random id (256 bits); the data (tokens, CSRF token, cart token) stays on
the server. So a copy of the cookie is worth nothing once the session is cleared at logout, and
`regenerate()` at login gives a new id (no session fixation). A session lives at most
`session_absolute_hours` (the lifetime of the login it carries), its cookie as long.
"""

from __future__ import annotations

import json
import secrets
import time
from http.cookies import SimpleCookie
from typing import Any

import redis.asyncio as redis
import structlog
from starlette.responses import PlainTextResponse

from sportello.settings import Settings

log = structlog.get_logger()

UNAVAILABLE = PlainTextResponse(
    "Servizio momentaneamente non disponibile: riprova tra qualche istante.", status_code=503,
    headers={"Retry-After": "5", "Cache-Control": "no-store"})

CREATED = "_created"


class Session(dict):
    """`request.session`: a dict, plus `regenerate()` (a new id for the same visitor)."""

    regenerated = False

    def regenerate(self) -> None:
        self.regenerated = True


class SessionStore:
    """Where the sessions of one app live; the app closes it at shutdown."""

    def __init__(self, settings: Settings, cookie: str, secure: bool):
        self.cookie = cookie
        self.secure = secure
        self.lifetime = settings.session_absolute_hours * 3600
        self.prefix = f"{settings.redis_prefix}session:{cookie}:"
        self.redis = redis.from_url(settings.redis_url, socket_timeout=2.0,
                                    socket_connect_timeout=2.0)

    async def close(self) -> None:
        await self.redis.aclose()

    async def load(self, sid: str) -> dict[str, Any] | None:
        stored = await self.redis.get(self.prefix + sid)
        return json.loads(stored) if stored else None


class ServerSessionMiddleware:
    def __init__(self, app, store: SessionStore):
        self.app = app
        self.store = store
        self.cookie, self.secure, self.lifetime = store.cookie, store.secure, store.lifetime
        self.prefix, self.redis = store.prefix, store.redis

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        sid = self._cookie_of(scope)
        try:
            stored = await self.redis.get(self.prefix + sid) if sid else None
        except redis.RedisError as e:
            # Without its session a page could only pretend: say so, as for a service that is down.
            log.warning("sessions_unreachable", error=type(e).__name__)
            return await UNAVAILABLE(scope, receive, send)
        data = json.loads(stored) if stored else {}
        if stored is None:
            sid = None  # unknown or ended: a copy of an old cookie opens nothing
        session = Session(data)
        scope["session"] = session
        before = stored.decode() if stored else json.dumps({})

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                header = await self._save(sid, session, before)
                if header is not None:
                    message = {**message, "headers": [*message.get("headers", []),
                                                      (b"set-cookie", header.encode("latin-1"))]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie_of(self, scope) -> str | None:
        for name, value in scope["headers"]:
            if name == b"cookie":
                jar = SimpleCookie()
                try:
                    jar.load(value.decode("latin-1"))
                except Exception:
                    return None
                morsel = jar.get(self.cookie)
                if morsel is not None and 20 <= len(morsel.value) <= 64:
                    return morsel.value
        return None

    async def _save(self, sid: str | None, session: Session, before: str) -> str | None:
        """Write what changed; the Set-Cookie header to send, if any."""
        if session.regenerated and sid:
            await self.redis.delete(self.prefix + sid)
            sid = None
        if not session:
            if sid:  # cleared (logout): the id ends here
                await self.redis.delete(self.prefix + sid)
                return self._header("", 0)
            return None
        if sid is None:
            session[CREATED] = int(time.time())
        after = json.dumps(dict(session))
        if sid is not None and after == before:
            return None
        ttl = max(1, self.lifetime - (int(time.time()) - int(session.get(CREATED, time.time()))))
        new = sid is None
        sid = sid or secrets.token_urlsafe(32)
        await self.redis.set(self.prefix + sid, after, ex=ttl)
        return self._header(sid, ttl) if new else None

    def _header(self, value: str, max_age: int) -> str:
        parts = [f"{self.cookie}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly",
                 "SameSite=Lax"]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)

