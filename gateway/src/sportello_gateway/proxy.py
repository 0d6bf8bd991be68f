"""The hop: a public request checked at the edge, sent to one service, its answer streamed back.

Pure ASGI on the hot path (no framework routing per request) over one pooled keep-alive
`aiohttp.ClientSession`: FLOORS.md measures httpx's async client 15× slower on this machine.
"""

from __future__ import annotations

import asyncio

import aiohttp
import structlog
from multidict import CIMultiDict
from sportello.auth import TokenVerifier
from sportello.errors import Forbidden, ProblemError, Unauthorized, problem
from sportello.observability import correlation_id
from sportello.proxies import TrustedProxies, client_address
from sportello.revocations import Revocations
from sportello.settings import SERVICES
from yarl import URL

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
    parts = URL(url)
    return str(parts.origin()).lower().rstrip("/")


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
        self.session: aiohttp.ClientSession | None = None
        self.timeouts = {
            False: aiohttp.ClientTimeout(total=settings.upstream_timeout,
                                         connect=settings.upstream_connect_timeout),
            True: aiohttp.ClientTimeout(total=settings.upstream_slow_timeout,
                                        connect=settings.upstream_connect_timeout),
        }
        # An upload lasts as long as the client's link takes to send 25 MB (the body is streamed
        # while the answer is awaited, so only the total bounds it).
        self.upload_timeout = aiohttp.ClientTimeout(
            total=settings.upstream_upload_timeout, connect=settings.upstream_connect_timeout)

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self.settings.upstream_pool_size * sum(len(r.upstreams)
                                                         for r in self.replicas.values()),
            limit_per_host=self.settings.upstream_pool_size,
            # Below uvicorn's 5 s keep-alive, so we never reuse a socket the service just closed.
            keepalive_timeout=4.0,
        )
        self.session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,             # bytes pass through as the service encoded them
            cookie_jar=aiohttp.DummyCookieJar(),  # never carry one client's cookies to another
            skip_auto_headers=("User-Agent", "Content-Type", "Accept", "Accept-Encoding"),
        )

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
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

        headers = CIMultiDict()
        for name, value in scope["headers"]:
            if name not in DROP_REQUEST and name not in connection_tokens:
                headers.add(name.decode("latin-1"), value.decode("latin-1"))
        peer = scope["client"][0] if scope.get("client") else "unknown"
        headers["X-Forwarded-For"] = f"{chain}, {peer}" if chain else peer
        headers["X-Forwarded-Proto"] = scope.get("scheme", "http")
        if host is not None:
            headers["X-Forwarded-Host"] = host.decode("latin-1")
        rid = correlation_id.get()
        if rid:
            headers["X-Request-ID"] = rid

        target_path = scope.get("raw_path", path.encode()).decode("latin-1")
        if scope.get("query_string"):
            target_path += "?" + scope["query_string"].decode("latin-1")
        # An upload is streamed as it comes, never kept: it is not sent twice.
        state = {"too_large": False, "chunks": [], "seen": 0, "done": False,
                 "limit": self._limit(policy), "keep": not policy.upload}
        attempts, attempt, tried = 2, 0, ()
        while attempt < attempts:
            target = upstream.base + target_path
            # A retry sends the body again: what was read so far, then the rest.
            data = self._body(receive, state) if has_body else None
            try:
                await self._forward(scope, receive, send, method, target, headers, data, policy)
                replicas.succeeded(upstream)
                return None
            except BodyTooLarge:
                return await self._too_large(scope, receive, send, policy, drain=True)
            except ClientGone:
                return None
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as e:
                replicas.failed(upstream, type(e).__name__)
                # Never reached that replica: the next one takes it, whatever the method.
                tried = (*tried, upstream)
                upstream = replicas.pick(exclude=tried)
                if upstream is not None and not state["too_large"]:
                    continue
                return await self._failed(scope, receive, send, 502, service, "connect_failed")
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                # A pooled connection that turned out closed before any byte of the answer came
                # back: the service never took the request, so once more on a fresh connection.
                attempt += 1
                replayable = state["keep"] or not state["seen"]
                if attempt < attempts and not state["too_large"] and replayable:
                    log.info("upstream_retry", service=service, method=method)
                    continue
                return await self._failed(scope, receive, send, 502, service, "disconnected")
            except (TimeoutError, aiohttp.ServerTimeoutError):
                replicas.failed(upstream, "timeout")
                return await self._failed(scope, receive, send, 504, service, "timeout")
            except aiohttp.ClientError as e:
                if state["too_large"]:
                    return await self._too_large(scope, receive, send, policy, drain=True)
                return await self._failed(scope, receive, send, 502, service, type(e).__name__)
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

    async def _forward(self, scope, receive, send, method, target, headers, data, policy: Policy) -> None:
        async with self.session.request(
            method, URL(target, encoded=True), headers=headers, data=data,
            allow_redirects=False,
            timeout=self.upload_timeout if policy.upload else self.timeouts[policy.slow],
        ) as resp:
            out = [(k.lower(), self._public_location(v) if k.lower() == b"location" else v)
                   for k, v in resp.raw_headers if k.lower() not in DROP_RESPONSE]
            if resp.status >= 500 and b"problem+json" not in resp.headers.get(
                    "content-type", "").encode():
                # A service that crashed outside its error handler: answer for it, leak nothing.
                log.warning("upstream_error_answer", service=policy.service, status=resp.status)
                status = resp.status if resp.status in MESSAGES else 502
                return await problem(status, MESSAGES[status])(scope, receive, send)
            await send({"type": "http.response.start", "status": resp.status, "headers": out})
            if method == "HEAD":
                return await send({"type": "http.response.body", "body": b""})
            try:
                chunk = await resp.content.readany()
                while not resp.content.at_eof():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    chunk = await resp.content.readany()
                await send({"type": "http.response.body", "body": chunk})
            except (aiohttp.ClientError, TimeoutError) as e:
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
        async with self.session.get(upstream.base + path,
                                    timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            body = await resp.json(content_type=None)
            return resp.status, body if isinstance(body, dict) else {}


async def gather_json(proxy: Proxy, path: str, timeout: float = 2.0) -> dict[str, tuple[int, dict] | None]:
    """service → (status, body), or None when it could not be reached in time."""
    async def one(service):
        try:
            return await proxy.fetch_json(service, path, timeout)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None

    results = await asyncio.gather(*(one(s) for s in SERVICES))
    return dict(zip(SERVICES, results, strict=True))
