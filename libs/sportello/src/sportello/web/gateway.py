"""A server-rendered app's only way out: a pooled aiohttp client of the gateway's API (API.md).

Tokens travel from the visitor's session to the gateway here and nowhere else; an expired access
token is refreshed server-side once and the request retried, so pages never see a token.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import aiohttp
import structlog

log = structlog.get_logger()

# What a path built from ids and slugs may hold (queries go in `params`).
SAFE_PATH = re.compile(r"(/[A-Za-z0-9_.-]+)+")
# Refresh a little before the access token really expires, so a page load never races it.
REFRESH_MARGIN_SECONDS = 30


@dataclass
class ApiResult:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def field_errors(self, strip_prefix: str = "") -> dict[str, str]:
        """field → Italian message of a 422 problem body, optionally without a path prefix."""
        out: dict[str, str] = {}
        if not isinstance(self.body, dict):
            return out
        for err in self.body.get("errors") or []:
            name = str(err.get("field", ""))
            if strip_prefix and name.startswith(strip_prefix):
                name = name[len(strip_prefix):]
            out.setdefault(name, str(err.get("message", "Valore non valido.")))
        return out

    @property
    def detail(self) -> str:
        if isinstance(self.body, dict) and isinstance(self.body.get("detail"), str):
            return self.body["detail"]
        return ""


class GatewayUnavailable(Exception):
    """The gateway did not answer, or answered 5xx: the page says so politely."""

    def __init__(self, status: int | None = None):
        super().__init__(f"gateway unavailable ({status})")
        self.status = status


class RateLimited(Exception):
    """The gateway said 429: this visitor (by address) is going too fast."""

    def __init__(self, retry_after: str | None):
        super().__init__("rate limited")
        self.retry_after = retry_after if (retry_after or "").isdigit() else "60"


class LoginRequired(Exception):
    """The visitor must log in (no session, or the refresh token was refused)."""


class Gateway:
    def __init__(self, base_url: str, timeout: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=64, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout),
            # Cookies are the browser's business, not the gateway's.
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def raw(self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None,
                  params: dict[str, Any] | None = None, data: Any = None) -> ApiResult:
        """One request; 5xx and connection failures raise GatewayUnavailable."""
        assert self._session is not None, "Gateway.start() not called"
        if not SAFE_PATH.fullmatch(path) or "/../" in f"{path}/" or "/./" in f"{path}/":
            # An id or slug from the visitor's URL that would make another API path than the
            # page meant (a crafted link): as if it did not exist.
            log.info("gateway_path_refused", path=path[:200])
            return ApiResult(404, None, {})
        url = f"{self.base_url}/api{path}"
        try:
            # Never followed: a redirect would carry the visitor's token to wherever it points.
            async with self._session.request(method, url, json=json, headers=headers, data=data,
                                             params=params, allow_redirects=False) as resp:
                body: Any = None
                if resp.status != 204:
                    ctype = resp.headers.get("Content-Type", "")
                    if "json" in ctype:
                        try:
                            body = await resp.json(content_type=None)
                        except ValueError:
                            body = None
                    else:
                        body = await resp.read()
                result = ApiResult(resp.status, body, dict(resp.headers))
        except (aiohttp.ClientError, TimeoutError) as e:
            log.warning("gateway_unreachable", method=method, path=path, error=type(e).__name__)
            raise GatewayUnavailable() from e
        if result.status >= 500:
            log.warning("gateway_error", method=method, path=path, status=result.status)
            raise GatewayUnavailable(result.status)
        return result


class Api:
    """The gateway as seen by one visitor: their tokens and cart token from the session."""

    def __init__(self, gateway: Gateway, session: dict[str, Any], request_id: str | None = None,
                 client_ip: str | None = None):
        self.gateway = gateway
        self.session = session
        self.request_id = request_id
        # The gateway limits login, checkout... per client address and trusts the storefront's
        # X-Forwarded-For: without it every customer would share the storefront's one bucket.
        self.client_ip = client_ip

    @property
    def logged_in(self) -> bool:
        return bool(self.session.get("refresh_token"))

    def store_tokens(self, pair: dict[str, Any]) -> None:
        self.session["access_token"] = pair["access_token"]
        self.session["refresh_token"] = pair["refresh_token"]
        self.session["expires_at"] = int(time.time()) + int(pair.get("expires_in", 900))

    def forget_tokens(self) -> None:
        for key in ("access_token", "refresh_token", "expires_at", "user", "cart_count"):
            self.session.pop(key, None)

    async def refresh(self) -> bool:
        token = self.session.get("refresh_token")
        if not token:
            return False
        result = await self.gateway.raw("POST", "/accounts/refresh", json={"refresh_token": token},
                                        headers=self._base_headers())
        if result.status == 200 and isinstance(result.body, dict):
            self.store_tokens(result.body)
            return True
        log.info("session_refresh_refused", status=result.status)
        self.forget_tokens()
        return False

    def _base_headers(self) -> dict[str, str]:
        headers = {"X-Request-ID": self.request_id} if self.request_id else {}
        if self.client_ip:
            headers["X-Forwarded-For"] = self.client_ip
        return headers

    async def _headers(self, auth: bool, extra: dict[str, str] | None) -> dict[str, str]:
        headers = self._base_headers()
        if auth and self.logged_in:
            if int(self.session.get("expires_at", 0)) - REFRESH_MARGIN_SECONDS < time.time():
                await self.refresh()
            if self.session.get("access_token"):
                headers["Authorization"] = f"Bearer {self.session['access_token']}"
        if not headers.get("Authorization") and self.session.get("cart_token"):
            headers["X-Cart-Token"] = self.session["cart_token"]
        headers.update(extra or {})
        return headers

    async def call(self, method: str, path: str, *, json: Any = None, auth: bool = True,
                   headers: dict[str, str] | None = None, params: dict[str, Any] | None = None,
                   require_login: bool = False) -> ApiResult:
        if require_login and not self.logged_in:
            raise LoginRequired()
        result = await self.gateway.raw(method, path, json=json, params=params,
                                        headers=await self._headers(auth, headers))
        if result.status == 401 and auth and self.logged_in and await self.refresh():
            result = await self.gateway.raw(method, path, json=json, params=params,
                                            headers=await self._headers(auth, headers))
        if result.status == 401 and require_login:
            self.forget_tokens()
            raise LoginRequired()
        if result.status == 429:
            raise RateLimited(result.headers.get("Retry-After"))
        return result

    async def get(self, path: str, **kw) -> ApiResult:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, json: Any = None, **kw) -> ApiResult:
        return await self.call("POST", path, json=json, **kw)

    async def upload(self, path: str, name: str, file: BinaryIO, content_type: str | None,
                     fields: dict[str, str] | None = None) -> ApiResult:
        """One file as multipart (POST /documents, a staff delivery), streamed from `file`."""
        async def send() -> ApiResult:
            file.seek(0)
            form = aiohttp.FormData()
            for key, value in (fields or {}).items():
                form.add_field(key, value)
            form.add_field("file", file, filename=name,
                           content_type=content_type or "application/octet-stream")
            return await self.gateway.raw("POST", path, data=form,
                                          headers=await self._headers(True, None))
        result = await send()
        if result.status == 401 and self.logged_in and await self.refresh():
            result = await send()
        if result.status == 429:
            raise RateLimited(result.headers.get("Retry-After"))
        return result

    async def ensure_cart_token(self) -> None:
        """An anonymous visitor gets a cart on the first thing they add."""
        if self.logged_in or self.session.get("cart_token"):
            return
        result = await self.gateway.raw("POST", "/cart/session", headers=self._base_headers())
        if result.status == 201 and isinstance(result.body, dict):
            self.session["cart_token"] = result.body["cart_token"]
