"""Which service serves each public path (a table of prefixes) and its edge policy: who may call
(the conditions of `policy_for`), the rate-limit class, the long timeout.

Pure functions of (method, path): no I/O, unit-tested on their own. A request goes to exactly one
service, chosen by the longest matching prefix; services serve the full public paths themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# prefix → service (the service's base URL comes from settings: `<service>_url`).
PREFIXES: dict[str, str] = {
    "/api/accounts": "accounts",
    "/api/catalog": "catalog",
    "/api/staff/catalog": "catalog",
    "/api/cart": "cart",
    "/api/quotes": "quotes",
    "/api/staff/quotes": "quotes",
    "/api/orders": "orders",
    "/api/staff/orders": "orders",
    "/api/payments": "orders",
    "/api/staff/notifications": "notifications",
    "/api/invoices": "invoicing",
    "/api/staff/invoices": "invoicing",
}
# Longest first, so /api/staff/catalog is tried before any shorter prefix could be.
_ORDERED = sorted(PREFIXES.items(), key=lambda kv: -len(kv[0]))


class Access(Enum):
    PUBLIC = "public"        # nobody needs a token (catalog reads, login, webhooks...)
    CART = "cart"            # a bearer token or an anonymous X-Cart-Token
    CUSTOMER = "customer"    # a valid bearer token, any role
    STAFF = "staff"          # a valid bearer token with the staff role


@dataclass(frozen=True)
class Policy:
    service: str
    access: Access
    limit: str | None = None     # rate-limit class per client address, if any
    slow: bool = False           # gets the long timeout (exports, hashing-heavy calls)


# Accounts routes that work without an access token.
_ACCOUNTS_PUBLIC = {
    "/api/accounts/register",
    "/api/accounts/login",
    "/api/accounts/refresh",
    "/api/accounts/logout",          # takes the refresh token; the access token may have expired
    "/api/accounts/password-reset",
    "/api/accounts/password-reset/confirm",
    "/api/accounts/.well-known/jwks.json",
}
# (method, path) → rate-limit class; the abuse targets the issue names.
_LIMITED = {
    ("POST", "/api/accounts/login"): "login",
    ("POST", "/api/accounts/register"): "register",
    ("POST", "/api/accounts/password-reset"): "password_reset",
    ("POST", "/api/accounts/password-reset/confirm"): "password_reset",
    ("POST", "/api/cart/checkout"): "checkout",
}
_SLOW = {"/api/accounts/me/export"}
_READS = {"GET", "HEAD"}


def service_for(path: str) -> str | None:
    for prefix, service in _ORDERED:
        if path == prefix or path.startswith(prefix + "/"):
            return service
    return None


def is_safe_path(path: str) -> bool:
    """No dot segments and no empty segments: what we route on is what the service sees."""
    if "//" in path:
        return False
    if "." not in path:          # the common case: no segment can be "." or ".."
        return True
    return not any(seg in (".", "..") for seg in path.split("/"))


def policy_for(method: str, path: str) -> Policy | None:
    """The edge policy of a request, or None when no service serves that path."""
    service = service_for(path)
    if service is None:
        return None
    path = path.rstrip("/") or path
    limit = _LIMITED.get((method, path))
    slow = path in _SLOW
    if path.startswith("/api/staff/"):
        access = Access.STAFF
    elif service == "accounts":
        access = Access.PUBLIC if path in _ACCOUNTS_PUBLIC else Access.CUSTOMER
    elif service == "catalog":
        access = Access.PUBLIC if method in _READS else Access.CUSTOMER
    elif service == "cart":
        if path == "/api/cart/session":
            access = Access.PUBLIC
        elif path in ("/api/cart/checkout", "/api/cart/quote/submit", "/api/cart/merge"):
            access = Access.CUSTOMER
        else:
            access = Access.CART
    elif path.startswith("/api/payments/webhooks/"):
        access = Access.PUBLIC   # the provider signs its calls; orders checks the signature
    else:
        access = Access.CUSTOMER
    return Policy(service=service, access=access, limit=limit, slow=slow)
