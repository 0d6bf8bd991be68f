"""The hop: a public request checked at the edge, sent to one service, its answer streamed back.

Pure ASGI on the hot path (no framework routing per request) over keep-alive pools to each
replica (`client.py`): the client's header bytes go on as bytes.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

import structlog
from sportello.auth import TokenVerifier
from sportello.errors import Forbidden, ProblemError, Unauthorized, problem
from sportello.observability import correlation_id
from sportello.proxies import TrustedProxies, client_address
from sportello.revocations import Revocations
from sportello.settings import SERVICES

from sportello_gateway.client import (BadAnswer, Client, ConnectFailed, Dropped, UpstreamError,
                                      UpstreamTimeout)
from sportello_gateway.ratelimit import RateLimits
from sportello_gateway.routes import Access, Policy, route
from sportello_gateway.settings import GatewaySettings
from sportello_gateway.upstreams import Replicas

log = structlog.get_logger()

HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization",
              b"te", b"trailer", b"transfer-encoding", b"upgrade", b"proxy-connection"}
# The gateway sets these itself; a client's own values are never passed on as they are.
DROP_REQUEST = HOP_BY_HOP | {b"host", b"x-forwarded-for", b"x-forwarded-proto",
                             b"x-forwarded-host", b"forwarded", b"x-real-ip", b"x-request-id",
                             b"expect"}
# The gateway's own server adds date/server; the request id is added once by the middleware.
DROP_RESPONSE = HOP_BY_HOP | {b"server", b"date", b"x-request-id", b"x-powered-by"}

MESSAGES = {
    502: "Il servizio non risponde: riprova tra poco.",
    503: "Il servizio è momentaneamente non disponibile: riprova tra poco.",
    504: "Il servizio non ha risposto in tempo: riprova tra poco.",
}


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class Proxy:
    def __init__(self, settings: GatewaySettings, verifier: TokenVerifier, limits: RateLimits,
                 revocations: Revocations):
        self.settings = settings
        self.verifier = verifier
        self.revocations = revocations
        self.limits = limits
        self.replicas = {s: Replicas(s, settings.service_urls(s), settings.breaker_failures,
                                     settings.breaker_open_seconds) for s in SERVICES}
        self.internal_origins = sorted({_origin_of(u.base) for r in self.replicas.values()
                                        for u in r.upstreams}, key=len, reverse=True)
        self.trusted = TrustedProxies(settings.trusted_proxies)
        self.client = Client(settings.upstream_pool_size, settings.upstream_connect_timeout)

    async def close(self) -> None:
        await self.client.close()
        await self.revocations.close()
        await self.limits.close()

    async def __call__(self, scope, receive, send) -> None:
        method, path = scope["method"], scope["path"]
        policy = route(method, path)
        if policy is None:
            return await problem(404, "Risorsa non trovata.")(scope, receive, send)

        auth = cart_token = length = forwarded_for = host = None
        chunked = False
        connection_tokens: set[bytes] = set()
        for name, value in scope["headers"]:
            if name == b"authorization":
                auth = value
            elif name == b"x-cart-token":
                cart_token = value
            elif name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"x-forwarded-for":
                forwarded_for = value.decode("latin-1")
            elif name == b"host":
                host = value
            elif name == b"connection":
                connection_tokens = {t.strip().lower() for t in value.split(b",")}

        client, chain = client_address(scope["client"][0] if scope.get("client") else None,
                                       forwarded_for, self.trusted)
        wait = await self.limits.acheck(policy.limit, client)
        if wait:
            log.info("rate_limited", limit=policy.limit or "global", client=client)
            return await problem(429, "Troppe richieste: riprova più tardi.",
                                 headers={"Retry-After": str(wait)})(scope, receive, send)
        try:
            await self._authorize(policy, auth, cart_token)
        except ProblemError as e:
            return await problem(e.status, e.detail, headers=e.headers)(scope, receive, send)

        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                return await problem(400, "Content-Length non valido.")(scope, receive, send)
            if declared > self._limit(policy):
                return await self._too_large(scope, receive, send, policy, drain=True)
        has_body = chunked or (length is not None and length != b"0")

        service = policy.service
        replicas = self.replicas[service]
        upstream = replicas.pick()
        if upstream is None:  # every replica's breaker is open
            return await problem(503, MESSAGES[503], headers={
                "Retry-After": str(replicas.retry_after())})(scope, receive, send)

        # Names as uvicorn gives them (lower case); values as the client sent them.
        headers = [(name, value) for name, value in scope["headers"]
                   if name not in DROP_REQUEST and name not in connection_tokens]
        peer = scope["client"][0] if scope.get("client") else "unknown"
        headers.append((b"x-forwarded-for",
                        (f"{chain}, {peer}" if chain else peer).encode("latin-1")))
        headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode("latin-1")))
        if host is not None:
            headers.append((b"x-forwarded-host", host))
        rid = correlation_id.get()
        if rid:
            headers.append((b"x-request-id", rid.encode("latin-1")))

        target = scope.get("raw_path") or path.encode()
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        # An upload is streamed as it comes, never kept: it is not sent twice.
        state = {"too_large": False, "chunks": [], "seen": 0, "done": False,
                 "limit": self._limit(policy), "keep": not policy.upload}
        attempts, attempt, tried = 2, 0, ()
        while attempt < attempts:
            # A retry sends the body again: what was read so far, then the rest.
            data = self._body(receive, state) if has_body else None
            try:
                await self._forward(scope, receive, send, method, upstream.base, target, headers,
                                    data, policy)
                replicas.succeeded(upstream)
                return None
            except BodyTooLarge:
                return await self._too_large(scope, receive, send, policy, drain=True)
            except ClientGone:
                return None
            except ConnectFailed as e:
                replicas.failed(upstream, str(e))
                # Never reached that replica: the next one takes it, whatever the method.
                tried = (*tried, upstream)
                upstream = replicas.pick(exclude=tried)
                if upstream is not None and not state["too_large"]:
                    continue
                return await self._failed(scope, receive, send, 502, service, "connect_failed")
            except Dropped:
                # A pooled connection that turned out closed before any byte of the answer came
                # back: the service never took the request, so once more on a fresh connection.
                attempt += 1
                replayable = state["keep"] or not state["seen"]
                if attempt < attempts and not state["too_large"] and replayable:
                    log.info("upstream_retry", service=service, method=method)
                    continue
                return await self._failed(scope, receive, send, 502, service, "disconnected")
            except UpstreamTimeout:
                replicas.failed(upstream, "timeout")
                return await self._failed(scope, receive, send, 504, service, "timeout")
            except BadAnswer as e:
                return await self._failed(scope, receive, send, 502, service, str(e))
        return None

    async def _authorize(self, policy: Policy, auth: bytes | None, cart_token: bytes | None) -> None:
        """Edge check of who may call; the service checks again (it must not trust the hop)."""
        if policy.access is Access.PUBLIC:
            return
        if auth is None:
            if policy.access is Access.CART and cart_token:
                return
            raise Unauthorized()
        scheme, _, token = auth.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Intestazione Authorization non valida: usa 'Bearer <token>'.")
        principal = self.verifier.verify(token.strip())
        # An ended session or an erased account is refused here, before any service sees it.
        await self.revocations.refuse_revoked(principal.id, principal.session_id)
        if policy.access is Access.STAFF and not principal.is_staff:
            raise Forbidden("Questa operazione è riservata allo staff.")

    async def _body(self, receive, state):
        """The client's body, kept (at most max_body_bytes) so that a retry can send it again."""
        for chunk in list(state["chunks"]):
            yield chunk
        limit = state["limit"]
        while not state["done"]:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone()
            chunk = message.get("body", b"")
            state["seen"] += len(chunk)
            if state["seen"] > limit:
                state["too_large"] = True
                raise BodyTooLarge()
            if not message.get("more_body", False):
                state["done"] = True
            if chunk:
                if state["keep"]:
                    state["chunks"].append(chunk)
                yield chunk

    def _timeout(self, policy: Policy) -> float:
        if policy.upload:
            # As long as the client's link takes to send 25 MB: the body is streamed while the
            # answer is awaited, so only the total bounds it.
            return self.settings.upstream_upload_timeout
        return self.settings.upstream_slow_timeout if policy.slow else self.settings.upstream_timeout

    async def _forward(self, scope, receive, send, method, base, target, headers, data,
                       policy: Policy) -> None:
        async with self.client.request(method, base, target, headers, data,
                                       self._timeout(policy)) as resp:
            out = []
            for name, value in resp.headers:
                name = name.lower()
                if name not in DROP_RESPONSE:
                    out.append((name, self._public_location(value) if name == b"location"
                                else value))
            if resp.status >= 500 and b"problem+json" not in (resp.header(b"content-type") or b""):
                # A service that crashed outside its error handler: answer for it, leak nothing.
                log.warning("upstream_error_answer", service=policy.service, status=resp.status)
                status = resp.status if resp.status in MESSAGES else 502
                return await problem(status, MESSAGES[status])(scope, receive, send)
            await send({"type": "http.response.start", "status": resp.status, "headers": out})
            try:
                async for chunk in resp.chunks():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
            except UpstreamError as e:
                # The answer has begun: all we can do is cut the connection, never hang.
                log.warning("upstream_broke_mid_answer", service=policy.service,
                            error=type(e).__name__)

    def _public_location(self, value: bytes) -> bytes:
        """A service's own address never leaves the gateway: its redirects become paths."""
        location = value.decode("latin-1")
        for base in self.internal_origins:
            if location.lower().startswith(base):
                rest = location[len(base):]
                return (rest if rest.startswith("/") else "/" + rest).encode("latin-1")
        return value

    def _limit(self, policy: Policy) -> int:
        return self.settings.max_upload_bytes if policy.upload else self.settings.max_body_bytes

    async def _too_large(self, scope, receive, send, policy: Policy, drain: bool = False) -> None:
        limit = self._limit(policy)
        if drain:
            # Read (and drop) a bounded rest of the upload, so the client is still listening
            # when the 413 comes instead of seeing its connection reset mid-write.
            try:
                await asyncio.wait_for(self._discard(receive, 4 * limit), 5)
            except TimeoutError:
                pass
        detail = (f"Il file supera il limite di {limit // 1_048_576} MB." if policy.upload
                  else f"Il corpo della richiesta supera il limite di {limit // 1024} KiB.")
        await problem(413, detail, headers={"Connection": "close"})(scope, receive, send)

    @staticmethod
    async def _discard(receive, cap: int) -> None:
        seen = 0
        while seen <= cap:
            message = await receive()
            seen += len(message.get("body", b""))
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                return

    async def _failed(self, scope, receive, send, status: int, service: str, why: str) -> None:
        log.warning("upstream_failed", service=service, status=status, reason=why)
        await problem(status, MESSAGES[status])(scope, receive, send)

    async def fetch_json(self, service: str, path: str, timeout: float = 2.0) -> tuple[int, dict]:
        """GET a service's own endpoint (readiness, OpenAPI) through the same pool."""
        upstream = self.replicas[service].pick() or self.replicas[service].upstreams[0]
        async with self.client.request("GET", upstream.base, path.encode(), [], None,
                                       timeout) as resp:
            body = json.loads(await resp.read())
            return resp.status, body if isinstance(body, dict) else {}


async def gather_json(proxy: Proxy, path: str, timeout: float = 2.0) -> dict[str, tuple[int, dict] | None]:
    """service → (status, body), or None when it could not be reached in time."""
    async def one(service):
        try:
            return await proxy.fetch_json(service, path, timeout)
        except (UpstreamError, ValueError):
            return None

    results = await asyncio.gather(*(one(s) for s in SERVICES))
    return dict(zip(SERVICES, results, strict=True))
