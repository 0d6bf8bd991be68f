"""Headers every gateway answer carries: browser security headers and no caching of private data."""

from __future__ import annotations

from sportello.proxies import TrustedProxies

API_CSP = b"default-src 'none'; frame-ancestors 'none'"
# Swagger UI loads its script and style from jsDelivr and runs one inline bootstrap script.
DOCS_CSP = (b"default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
            b"style-src 'unsafe-inline' https://cdn.jsdelivr.net; img-src data: https:; "
            b"connect-src 'self'; frame-ancestors 'none'")
ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-site"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeadersMiddleware:
    """Pure ASGI: adds what the service did not set itself."""

    def __init__(self, app, trusted_proxies: list[str]):
        self.app = app
        self.trusted = TrustedProxies(trusted_proxies)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        https = scope.get("scheme") == "https"
        has_auth = False
        peer = scope["client"][0] if scope.get("client") else None
        for name, value in scope["headers"]:
            if name == b"authorization":
                has_auth = True
            elif name == b"x-forwarded-proto" and peer is not None and peer in self.trusted:
                https = https or value == b"https"
        csp = DOCS_CSP if scope["path"] == "/api/docs" else API_CSP

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = [h for h in ALWAYS if h[0] not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", csp))
                if https:
                    extra.append(HSTS)
                # Answers to a signed-in request are that customer's data: no shared caches.
                if has_auth and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)
