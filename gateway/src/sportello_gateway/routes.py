"""Which service serves each public path (a table of prefixes) and its edge policy: who may call
(a table of exact paths and subtrees), the rate-limit class, the long timeout.

Pure functions of (method, path): no I/O, unit-tested on their own. A request goes to exactly one
service, chosen by the longest matching prefix; services serve the full public paths themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

# prefix → service (the service's base URL comes from settings: `<service>_url`).
PREFIXES: dict[str, str] = {
    "/api/accounts": "accounts",
    "/api/staff/accounts": "accounts",
    "/api/catalog": "catalog",
    "/api/staff/catalog": "catalog",
    "/api/cart": "cart",
    "/api/legal": "cart",
    "/api/quotes": "quotes",
    "/api/staff/quotes": "quotes",
    "/api/orders": "orders",
    "/api/staff/orders": "orders",
    "/api/payments": "orders",
    "/api/staff/notifications": "notifications",
    "/api/invoices": "invoicing",
    "/api/staff/invoices": "invoicing",
    "/api/documents": "documents",
}
# The files of an order or a quote belong to documents, below paths the owner of the order or
# quote serves: `<prefix><id>/documents` and what is below it.
_DOCUMENT_PARENTS = ("/api/orders/", "/api/quotes/", "/api/staff/orders/", "/api/staff/quotes/")
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
    upload: bool = False         # a file upload: the larger body limit, streamed, never replayed


# Accounts routes that work without an access token.
_ACCOUNTS_PUBLIC = {
    "/api/accounts/register",
    "/api/accounts/login",
    "/api/accounts/refresh",
    "/api/accounts/logout",          # takes the refresh token; the access token may have expired
    "/api/accounts/password-reset",
    "/api/accounts/password-reset/confirm",
    "/api/accounts/email/confirm",        # the link sent to a new address; the token is the proof
    "/api/accounts/.well-known/jwks.json",
}
# (method, path) → rate-limit class; the abuse targets the issue names.
_LIMITED = {
    ("POST", "/api/accounts/login"): "login",
    ("POST", "/api/accounts/register"): "register",
    ("POST", "/api/accounts/password-reset"): "password_reset",
    ("POST", "/api/accounts/password-reset/confirm"): "password_reset",
    ("POST", "/api/accounts/email/confirm"): "password_reset",
    # Each checks the current password again (argon2: ~100 ms of CPU and 64 MiB per try).
    ("POST", "/api/accounts/me/password"): "reauth",
    ("PATCH", "/api/accounts/me"): "reauth",
    ("DELETE", "/api/accounts/me"): "reauth",
    ("POST", "/api/cart/checkout"): "checkout",
    # Each is a cart row: unlimited, an anonymous client could fill the cart database.
    ("POST", "/api/cart/session"): "cart_session",
    # Each stores a file; an anonymous client could otherwise fill the store.
    ("POST", "/api/documents"): "upload",
}
_SLOW = {"/api/accounts/me/export"}
_READS = frozenset({"GET", "HEAD"})

# Who may call: an exact path first; else the first subtree rule that matches (the prefix itself
# and the paths below it, or only below it when it ends in "/"; for the methods given, or any);
# anything else wants a valid token (CUSTOMER).
_EXACT_ACCESS: dict[str, Access] = {
    **dict.fromkeys(_ACCOUNTS_PUBLIC, Access.PUBLIC),
    "/api/cart/session": Access.PUBLIC,
    "/api/cart/checkout": Access.CUSTOMER,
    "/api/cart/quote/submit": Access.CUSTOMER,
    "/api/cart/merge": Access.CUSTOMER,
    "/api/cart/preview": Access.CUSTOMER,
    # SDI's receipts: the channel signs them; invoicing checks the signature.
    "/api/invoices/sdi/receipts": Access.PUBLIC,
}
_SUBTREE_ACCESS: tuple[tuple[str, frozenset[str] | None, Access], ...] = (
    ("/api/staff/", None, Access.STAFF),
    ("/api/catalog", _READS, Access.PUBLIC),
    ("/api/legal", _READS, Access.PUBLIC),
    ("/api/cart", None, Access.CART),
    # A visitor uploads the files of a form before logging in, as it fills its cart.
    ("/api/documents", None, Access.CART),
    # The provider signs its calls; orders checks the signature.
    ("/api/payments/webhooks/", None, Access.PUBLIC),
)


def _documents_of_parent(path: str) -> bool:
    for parent in _DOCUMENT_PARENTS:
        if path.startswith(parent):
            _, sep, rest = path[len(parent):].partition("/")
            return bool(sep) and (rest == "documents" or rest.startswith("documents/"))
    return False


def is_upload(method: str, path: str) -> bool:
    if method != "POST":
        return False
    return path == "/api/documents" or (path.startswith("/api/staff/")
                                        and _documents_of_parent(path) and path.endswith("/documents"))


def service_for(path: str) -> str | None:
    if _documents_of_parent(path):
        return "documents"
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
    return Policy(service=service, access=access_for(method, path), limit=limit, slow=slow,
                  upload=is_upload(method, path))


def route(method: str, path: str) -> Policy | None:
    """The policy of a request as the gateway applies it: None for an unsafe or unknown path."""
    if len(path) > MAX_REMEMBERED_PATH:
        return _route(method, path)
    return _remembered_route(method, path)


# Short paths only: a client sending long unique paths cannot fill memory through the cache.
MAX_REMEMBERED_PATH = 256


def _route(method: str, path: str) -> Policy | None:
    return policy_for(method, path) if is_safe_path(path) else None


# The same few hundred paths come again and again; the tables are walked once for each.
_remembered_route = lru_cache(maxsize=4096)(_route)


def access_for(method: str, path: str) -> Access:
    if path in _EXACT_ACCESS:
        return _EXACT_ACCESS[path]
    for prefix, methods, access in _SUBTREE_ACCESS:
        below = path.startswith(prefix) if prefix.endswith("/") else (
            path == prefix or path.startswith(prefix + "/"))
        if below and (methods is None or method in methods):
            return access
    return Access.CUSTOMER
