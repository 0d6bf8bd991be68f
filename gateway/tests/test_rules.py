"""Pure rules: routing table, edge policy, token buckets, OpenAPI merge."""

from __future__ import annotations

from sportello.proxies import TrustedProxies, client_address
from sportello_gateway.openapi import merge
from sportello_gateway.ratelimit import RateLimits, TokenBuckets
from sportello_gateway.routes import Access, is_safe_path, policy_for, route, service_for


def test_each_prefix_goes_to_exactly_one_service():
    assert service_for("/api/accounts/login") == "accounts"
    assert service_for("/api/staff/catalog/services") == "catalog"
    assert service_for("/api/catalog") == "catalog"
    assert service_for("/api/cart/quote/submit") == "cart"
    assert service_for("/api/staff/quotes/1/issue") == "quotes"
    assert service_for("/api/payments/webhooks/sandbox") == "orders"
    assert service_for("/api/staff/orders") == "orders"
    assert service_for("/api/staff/notifications") == "notifications"
    assert service_for("/api/cartography") is None
    assert service_for("/api/staff/accounts") == "accounts"
    assert service_for("/api/staff/accountsx") is None
    assert service_for("/api/documents") == "documents"
    # The files of an order or a quote: documents, below the paths orders and quotes serve.
    assert service_for("/api/orders/1/documents") == "documents"
    assert service_for("/api/staff/quotes/1/documents") == "documents"
    assert service_for("/api/orders/1") == "orders"
    assert service_for("/api/orders/1/documentsx") == "orders"
    assert service_for("/api/orders/documents") == "orders"


def test_only_uploads_get_the_large_body_limit():
    assert policy_for("POST", "/api/documents").upload
    assert policy_for("POST", "/api/documents").access is Access.CART
    assert policy_for("POST", "/api/documents").limit == "upload"
    assert policy_for("POST", "/api/staff/orders/1/documents").upload
    assert policy_for("POST", "/api/staff/orders/1/documents").access is Access.STAFF
    assert not policy_for("GET", "/api/documents/1").upload
    assert policy_for("GET", "/api/documents/1").access is Access.CART
    assert not policy_for("POST", "/api/orders/1/documents").upload
    assert not policy_for("POST", "/api/cart/items").upload


def test_edge_policies():
    assert policy_for("GET", "/api/catalog/services").access is Access.PUBLIC
    assert policy_for("POST", "/api/catalog/services").access is Access.CUSTOMER
    assert policy_for("POST", "/api/staff/catalog/services").access is Access.STAFF
    assert policy_for("POST", "/api/cart/session").access is Access.PUBLIC
    assert policy_for("POST", "/api/cart/items").access is Access.CART
    checkout = policy_for("POST", "/api/cart/checkout")
    assert checkout.access is Access.CUSTOMER and checkout.limit == "checkout"
    assert policy_for("POST", "/api/accounts/login").limit == "login"
    assert policy_for("POST", "/api/accounts/register").limit == "register"
    assert policy_for("POST", "/api/accounts/password-reset").limit == "password_reset"
    assert policy_for("GET", "/api/accounts/me").access is Access.CUSTOMER
    assert policy_for("GET", "/api/accounts/me/export").slow
    assert policy_for("POST", "/api/payments/webhooks/sandbox").access is Access.PUBLIC
    receipts = policy_for("POST", "/api/invoices/sdi/receipts")
    assert receipts.access is Access.PUBLIC and receipts.service == "invoicing"
    assert policy_for("POST", "/api/cart/preview").access is Access.CUSTOMER
    assert policy_for("POST", "/api/staff/invoices/1/resend").access is Access.STAFF
    assert policy_for("GET", "/api/staff/accounts").access is Access.STAFF
    assert policy_for("GET", "/api/staff/accounts/1").access is Access.STAFF
    assert policy_for("GET", "/api/orders/1").access is Access.CUSTOMER
    assert policy_for("GET", "/api/nowhere") is None


def test_paths_with_dot_or_empty_segments_are_not_routed():
    assert is_safe_path("/api/catalog/services/visura")
    assert not is_safe_path("/api/catalog/../staff/orders")
    assert not is_safe_path("/api/catalog/./x")
    assert not is_safe_path("/api//staff")


def test_token_bucket_spends_refills_and_tells_how_long_to_wait():
    now = [0.0]
    buckets = TokenBuckets(rate_per_second=1 / 6, burst=3, clock=lambda: now[0])  # 10/min
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == 6
    assert buckets.take("b") == 0                      # another address, its own bucket
    now[0] += 6.0
    assert buckets.take("a") == 0
    assert buckets.take("a") > 0


def test_token_buckets_forget_full_buckets_when_too_many_addresses():
    now = [0.0]
    buckets = TokenBuckets(1.0, 2, clock=lambda: now[0], max_keys=10)
    for i in range(11):
        buckets.take(str(i))
    now[0] += 10
    buckets.take("new")
    assert len(buckets._buckets) <= 10


def test_global_ceiling_is_checked_before_the_route_class():
    now = [0.0]
    limits = RateLimits({"login": 60}, global_per_second=2, clock=lambda: now[0])
    assert limits.check("login", "a") == 0
    assert limits.check(None, "b") == 0
    assert limits.check(None, "c") == 1


def _doc(paths: dict, schemas: dict) -> dict:
    return {"openapi": "3.1.0", "paths": paths, "components": {"schemas": schemas}}


def test_merge_keeps_each_service_own_paths_and_renames_clashing_schemas():
    ref = {"$ref": "#/components/schemas/Line"}
    cart = _doc({"/api/cart": {"get": {"responses": {"200": {"content": {"x": {"schema": ref}}}}}},
                 "/healthz": {"get": {}}},
                {"Line": {"properties": {"price": {}}}, "Problem": {"type": "object"},
                 "Cart": {"properties": {"lines": {"items": ref}}}})
    orders = _doc({"/api/orders": {"get": {"responses": {"200": {"content": {"x": {"schema": ref}}}}}},
                   "/api/cart": {"get": {}}},
                  {"Line": {"properties": {"status": {}}}, "Problem": {"type": "object"},
                   "Order": {"properties": {"lines": {"items": ref}}}})
    doc = merge({"cart": cart, "orders": orders}, missing=["quotes"])
    assert set(doc["paths"]) == {"/api/cart", "/api/orders"}
    schemas = doc["components"]["schemas"]
    assert schemas["Line"] == {"properties": {"price": {}}}
    assert schemas["orders_Line"] == {"properties": {"status": {}}}
    assert schemas["orders_Order"]["properties"]["lines"]["items"]["$ref"].endswith("/orders_Line")
    assert "orders_Problem" not in schemas            # identical shapes are shared
    orders_get = doc["paths"]["/api/orders"]["get"]
    assert orders_get["responses"]["200"]["content"]["x"]["schema"]["$ref"].endswith("/orders_Line")
    assert orders_get["tags"] == ["orders"]
    assert "quotes" in doc["info"]["description"]


def test_client_address_believes_only_trusted_peers_given_as_addresses_or_cidrs():
    trusted = TrustedProxies(["10.0.0.0/8", "127.0.0.1"])
    assert "10.1.2.3" in trusted and "127.0.0.1" in trusted and "11.0.0.1" not in trusted
    # A trusted peer (the storefront): the rightmost untrusted entry is the client.
    assert client_address("10.0.0.7", "6.6.6.6, 203.0.113.5", trusted) == (
        "203.0.113.5", "6.6.6.6, 203.0.113.5")
    # Anyone else's header is ignored.
    assert client_address("198.51.100.1", "203.0.113.5", trusted) == ("198.51.100.1", None)


def test_replicas_take_turns_skip_an_open_breaker_and_probe_it_again_later():
    from sportello_gateway.upstreams import Replicas

    now = [0.0]
    replicas = Replicas("cart", ["http://a/", "http://b"], failures=2, open_seconds=5,
                        clock=lambda: now[0])
    a, b = replicas.upstreams
    assert [replicas.pick().base for _ in range(4)] == ["http://a", "http://b"] * 2
    replicas.failed(a, "refused")
    assert replicas.pick() is a            # one failure: still in turn
    replicas.failed(a, "refused")
    assert [replicas.pick() for _ in range(3)] == [b, b, b]
    assert replicas.pick(exclude=(b,)) is None
    now[0] = 5.0
    assert {replicas.pick(), replicas.pick()} == {a, b}   # open time over: a is probed
    replicas.failed(a, "refused")
    assert replicas.pick() is b and replicas.pick() is b  # failed probe: skipped again at once
    replicas.failed(b, "timeout"), replicas.failed(b, "timeout")
    assert replicas.pick() is None and replicas.retry_after() == 5


def test_the_gateway_reads_the_urls_up_gives_it(monkeypatch):
    from sportello.scaling import gateway_env
    from sportello.settings import Settings
    from sportello_gateway.settings import GatewaySettings

    for name, value in gateway_env(Settings(), {"cart": 2}).items():
        monkeypatch.setenv(name, value)
    settings = GatewaySettings()
    assert settings.service_urls("cart") == ["http://127.0.0.1:8220", "http://127.0.0.1:8221"]
    assert settings.service_urls("orders") == ["http://127.0.0.1:8105"]


def test_the_remembered_route_is_the_policy_of_safe_paths_only():
    assert route("GET", "/api/catalog/services") == policy_for("GET", "/api/catalog/services")
    assert route("GET", "/api/catalog/services") is route("GET", "/api/catalog/services")
    assert route("GET", "/api/catalog/../staff/accounts") is None
    assert route("GET", "/api//catalog") is None
    assert route("GET", "/api/nowhere") is None
    long = "/api/orders/" + "x" * 300
    assert route("GET", long) == policy_for("GET", long)
