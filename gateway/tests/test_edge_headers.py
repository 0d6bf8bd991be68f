"""What every gateway answer carries: request id, security headers, caching rules and CORS."""

from __future__ import annotations

import uuid

SECURITY = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
            "referrer-policy": "no-referrer", "cross-origin-resource-policy": "same-site"}
SHOP = "http://shop.example"


def assert_security_headers(r, csp: str = "default-src 'none'; frame-ancestors 'none'") -> None:
    for name, value in SECURITY.items():
        assert r.headers.get_list(name) == [value], name
    assert r.headers.get_list("content-security-policy") == [csp]
    assert len(r.headers.get_list("x-request-id")) == 1


async def test_a_created_request_id_is_a_fresh_uuid4_and_a_bad_one_is_replaced(gw):
    ids = {(await gw.get("/api/catalog/services")).headers["x-request-id"] for _ in range(20)}
    assert len(ids) == 20
    assert all(uuid.UUID(i).version == 4 and uuid.UUID(i).variant == uuid.RFC_4122
               and str(uuid.UUID(i)) == i for i in ids)
    for bad in ("a b", "x" * 65, "é"):
        r = await gw.get("/api/catalog/services", headers={"X-Request-ID": bad.encode()})
        assert r.headers["x-request-id"] != bad
        assert uuid.UUID(r.headers["x-request-id"]).version == 4


async def test_proxied_and_local_answers_carry_the_security_headers(gw):
    proxied = await gw.get("/api/catalog/services")
    assert_security_headers(proxied)
    local = await gw.get("/healthz")
    assert local.status_code == 200
    assert_security_headers(local)
    missing = await gw.get("/api/nothing-here")
    assert missing.status_code == 404
    assert_security_headers(missing)
    docs = await gw.get("/api/docs")
    assert "script-src 'unsafe-inline' https://cdn.jsdelivr.net" in docs.headers[
        "content-security-policy"]
    # Plain http from the test client: no HSTS, and no CORS headers without an Origin.
    assert "strict-transport-security" not in proxied.headers
    assert not [k for k in proxied.headers if k.startswith("access-control-")]


async def test_hsts_only_when_a_trusted_proxy_says_the_client_used_https(gw):
    r = await gw.get("/api/catalog/services", headers={"X-Forwarded-Proto": "https"})
    assert r.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_a_signed_in_answer_is_never_stored_unless_the_service_decided(gw):
    signed_in = await gw.get("/api/catalog/services", headers={"Authorization": "Bearer x"})
    assert signed_in.headers.get_list("cache-control") == ["no-store"]
    anonymous = await gw.get("/api/catalog/services")
    assert "cache-control" not in anonymous.headers
    own = await gw.get("/api/catalog/cached", headers={"Authorization": "Bearer x"})
    assert own.headers.get_list("cache-control") == ["max-age=60"]


async def test_every_answer_varies_on_origin_merged_with_the_service_own_vary(gw):
    assert (await gw.get("/api/catalog/services")).headers.get_list("vary") == ["Origin"]
    cached = await gw.get("/api/catalog/cached", headers={"Origin": SHOP})
    assert cached.headers.get_list("vary") == ["Accept-Language, Origin"]
    assert cached.headers["access-control-allow-origin"] == SHOP


async def test_a_preflight_from_the_shop_is_answered_at_the_edge(gw, upstream):
    before = len(upstream.state.calls)
    r = await gw.options("/api/cart/items", headers={
        "Origin": SHOP, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, x-cart-token, content-type"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == SHOP
    assert r.headers["access-control-allow-methods"] == "GET, POST, PUT, PATCH, DELETE"
    assert r.headers["access-control-max-age"] == "600"
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "x-cart-token", "content-type", "idempotency-key",
            "x-request-id"} <= allowed
    assert r.headers["vary"].startswith("Origin")
    assert_security_headers(r)
    assert len(upstream.state.calls) == before          # never reached a service


async def test_a_preflight_from_another_origin_or_for_another_method_is_refused(gw):
    evil = await gw.options("/api/cart/items", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert evil.status_code == 400
    assert "access-control-allow-origin" not in evil.headers
    trace = await gw.options("/api/cart/items", headers={
        "Origin": SHOP, "Access-Control-Request-Method": "TRACE"})
    assert trace.status_code == 400
    assert_security_headers(trace)


async def test_a_simple_request_from_another_origin_gets_no_allow_origin(gw):
    ok = await gw.get("/api/catalog/services", headers={"Origin": SHOP})
    assert ok.headers["access-control-allow-origin"] == SHOP
    assert ok.headers["access-control-expose-headers"] == "X-Request-ID, Retry-After, Location"
    assert ok.headers.get_list("vary") == ["Origin"]
    evil = await gw.get("/api/catalog/services", headers={"Origin": "http://evil.example"})
    assert evil.status_code == 200
    assert "access-control-allow-origin" not in evil.headers
    assert evil.headers.get_list("vary") == ["Origin"]
