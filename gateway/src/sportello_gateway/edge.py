"""The gateway's edge: browser security headers, no caching of private data, and CORS.

One `Edge` for `sportello.observability.RequestContextMiddleware`: it reads the request's headers
once and adds its own to the response in the request-id layer's single send wrapper.
"""

from __future__ import annotations

from sportello.proxies import TrustedProxies
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware

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
NO_STORE = (b"cache-control", b"no-store")
VARY_ORIGIN = (b"vary", b"Origin")


class GatewayEdge:
    """Adds what the service did not set itself; answers CORS preflights.

    The CORS policy (which origins, methods, headers; the preflight answer) is Starlette's
    CORSMiddleware, used as a rule book: only its per-request wrapper is replaced.
    """

    def __init__(self, trusted_proxies: list[str], **cors):
        self.trusted = TrustedProxies(trusted_proxies)
        self.cors = CORSMiddleware(None, **cors)
        self.cors_headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                             for k, v in self.cors.simple_headers.items()]
        # A service's own CORS headers never widen the gateway's policy.
        self.cors_names = {k for k, _ in self.cors_headers} | {b"access-control-allow-origin"}

    def begin(self, scope):
        https = scope.get("scheme") == "https"
        has_auth = preflight = False
        origin = None
        peer = scope["client"][0] if scope.get("client") else None
        for name, value in scope["headers"]:
            if name == b"authorization":
                has_auth = True
            elif name == b"origin":
                origin = value
            elif name == b"access-control-request-method":
                preflight = True
            elif name == b"x-forwarded-proto" and peer is not None and peer in self.trusted:
                https = https or value == b"https"
        csp = DOCS_CSP if scope["path"] == "/api/docs" else API_CSP
        if origin is not None and preflight and scope["method"] == "OPTIONS":
            return self.cors.preflight_response(Headers(scope=scope)), self._security(
                csp, https, has_auth)
        if origin is None:
            cors = None
        elif self.cors.is_allowed_origin(origin.decode("latin-1")) and not (
                self.cors.allow_all_origins and not self.cors.allow_credentials):
            # A listed origin is named back (a wildcard would forbid credentials).
            cors = [*self.cors_headers, (b"access-control-allow-origin", origin)]
        else:
            cors = self.cors_headers
        return None, self._complete(csp, https, has_auth, cors)

    def _security(self, csp: bytes, https: bool, has_auth: bool):
        return self._complete(csp, https, has_auth, None, vary=False)

    def _complete(self, csp: bytes, https: bool, has_auth: bool, cors, vary: bool = True):
        def complete(headers: list) -> None:
            present = {k for k, _ in headers}   # ASGI header names are lower case
            headers.extend(h for h in ALWAYS if h[0] not in present)
            if b"content-security-policy" not in present:
                headers.append((b"content-security-policy", csp))
            if https:
                headers.append(HSTS)
            # Answers to a signed-in request are that customer's data: no shared caches.
            if has_auth and b"cache-control" not in present:
                headers.append(NO_STORE)
            if cors:
                headers[:] = [h for h in headers if h[0] not in self.cors_names]
                headers.extend(cors)
            if vary:
                # The answer depends on Origin (CORS headers or not): caches must keep them apart.
                if b"vary" in present:
                    values = [v for k, v in headers if k == b"vary"]
                    headers[:] = [h for h in headers if h[0] != b"vary"]
                    headers.append((b"vary", b", ".join([*values, b"Origin"])))
                else:
                    headers.append(VARY_ORIGIN)

        return complete
