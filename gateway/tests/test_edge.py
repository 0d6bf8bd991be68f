"""Edge checks: tokens and roles, rate limits, CORS, health, readiness and the merged docs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
from sportello.revocations import Revocations
from sportello.testing import bearer


async def test_staff_routes_need_a_staff_token(gw, settings):
    assert (await gw.get("/api/staff/orders")).status_code == 401
    r = await gw.get("/api/staff/orders", headers=bearer(settings, role="customer"))
    assert r.status_code == 403
    assert r.json()["detail"] == "Questa operazione è riservata allo staff."
    assert (await gw.get("/api/staff/orders", headers=bearer(settings, role="staff"))).status_code == 200


async def test_customer_routes_need_a_valid_token(gw, settings):
    for path in ("/api/orders", "/api/quotes", "/api/accounts/me"):
        r = await gw.get(path)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"] == "Bearer"
    assert (await gw.get("/api/orders", headers=bearer(settings))).status_code == 200
    assert (await gw.get("/api/orders", headers={"Authorization": "Basic eDp5"})).status_code == 401


async def test_forged_and_expired_tokens_are_refused_at_the_edge(gw, settings, upstream):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sportello.tokens import TokenIssuer

    now = datetime.now(UTC)
    claims = {"sub": str(uuid.uuid4()), "role": "staff", "iss": settings.jwt_issuer,
              "aud": settings.jwt_audience, "iat": now, "exp": now + timedelta(minutes=5)}
    issuer = TokenIssuer(settings)
    forged = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA",
                        headers={"kid": issuer.kid})
    expired = jwt.encode({**claims, "exp": now - timedelta(minutes=1)}, issuer._key,
                         algorithm="EdDSA", headers={"kid": issuer.kid})
    before = len(upstream.state.calls)
    for token in (forged, expired, "not-a-jwt"):
        r = await gw.get("/api/staff/orders", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
    assert len(upstream.state.calls) == before


async def test_anonymous_routes_pass_without_a_token(gw):
    for method, path in (("GET", "/api/catalog/categories"), ("POST", "/api/cart/session"),
                         ("POST", "/api/accounts/register"),
                         ("GET", "/api/accounts/.well-known/jwks.json"),
                         ("POST", "/api/payments/webhooks/sandbox")):
        assert (await gw.request(method, path)).status_code == 200, path


async def test_cart_needs_a_cart_token_or_a_bearer(gw, settings):
    assert (await gw.get("/api/cart")).status_code == 401
    assert (await gw.get("/api/cart", headers={"X-Cart-Token": "t"})).status_code == 200
    assert (await gw.get("/api/cart", headers=bearer(settings))).status_code == 200
    # Checkout is never anonymous, even with a cart token.
    r = await gw.post("/api/cart/checkout", headers={"X-Cart-Token": "t"}, json={})
    assert r.status_code == 401


async def test_login_is_rate_limited_per_client_address(gateway_factory):
    async with gateway_factory() as gw:
        codes = [(await gw.post("/api/accounts/login", json={})).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = await gw.post("/api/accounts/login", json={})
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["content-type"] == "application/problem+json"
        # Another client (behind a trusted proxy, e.g. the storefront) has its own bucket,
        # and routes without a limit are not affected.
        other = await gw.post("/api/accounts/login", json={},
                              headers={"X-Forwarded-For": "203.0.113.9"})
        assert other.status_code == 200
        assert (await gw.get("/api/catalog/services")).status_code == 200


async def test_new_anonymous_carts_are_rate_limited_per_client_address(gateway_factory):
    async with gateway_factory(rate_cart_session_per_minute=3) as gw:
        codes = [(await gw.post("/api/cart/session")).status_code for _ in range(5)]
        assert codes[:3] == [200] * 3 and codes[3:] == [429, 429]
        other = await gw.post("/api/cart/session", headers={"X-Forwarded-For": "203.0.113.9"})
        assert other.status_code == 200


async def test_an_untrusted_peer_cannot_choose_its_rate_limit_key(gateway_factory):
    async with gateway_factory(trusted_proxies=[]) as gw:
        codes = [(await gw.post("/api/accounts/login", json={},
                                headers={"X-Forwarded-For": f"198.51.100.{i}"})).status_code
                 for i in range(4)]
        assert codes == [200, 200, 200, 429]
        seen = (await gw.post("/api/accounts/register", json={},
                              headers={"X-Forwarded-For": "1.2.3.4"})).json()
        assert dict(seen["headers"])["x-forwarded-for"] == "127.0.0.1"


async def test_global_ceiling_limits_every_client(gateway_factory):
    async with gateway_factory(rate_global_per_second=5) as gw:
        codes = [(await gw.get("/api/catalog/services")).status_code for _ in range(8)]
        assert codes[:5] == [200] * 5 and 429 in codes[5:]


async def test_cors_allows_the_configured_origin_only(gw):
    ok = await gw.options("/api/cart/items", headers={
        "Origin": "http://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, x-cart-token, content-type"})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "http://shop.example"
    simple = await gw.get("/api/catalog/services", headers={"Origin": "http://shop.example"})
    assert simple.headers["access-control-allow-origin"] == "http://shop.example"
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
    evil = await gw.get("/api/catalog/services", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in evil.headers


async def test_health_and_readiness_report_each_service(gw):
    assert (await gw.get("/healthz")).json() == {"status": "ok"}
    r = await gw.get("/readyz")
    # notifications points at a port where nothing listens.
    assert r.status_code == 503
    assert r.json()["services"] == {"accounts": "ready", "catalog": "ready", "cart": "ready",
                                    "quotes": "ready", "orders": "ready", "invoicing": "ready",
                                    "documents": "ready",
                                    "notifications": "unreachable"}
    assert "127.0.0.1" not in r.text


async def test_merged_openapi_and_docs(gw):
    doc = (await gw.get("/api/openapi.json")).json()
    assert set(doc["paths"]) == {"/api/catalog/services", "/api/orders"}
    assert doc["paths"]["/api/orders"]["get"]["tags"] == ["orders"]
    assert "notifications" in doc["info"]["description"]   # said to be missing, not hidden
    docs = await gw.get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "/api/openapi.json" in docs.text


async def test_password_rechecks_have_their_own_limit_per_client(gateway_factory, settings):
    me = bearer(settings)
    async with gateway_factory(rate_reauth_per_minute=3) as gw:
        calls = [("POST", "/api/accounts/me/password"), ("PATCH", "/api/accounts/me"),
                 ("DELETE", "/api/accounts/me"), ("POST", "/api/accounts/me/password")]
        codes = [(await gw.request(m, p, headers=me, json={})).status_code for m, p in calls]
        assert codes == [200, 200, 200, 429]
        # Reading the profile is no password re-check.
        assert (await gw.get("/api/accounts/me", headers=me)).status_code == 200


async def test_a_revoked_session_or_erased_account_is_refused_at_the_edge(gw, settings):
    account, sid = uuid.uuid4(), str(uuid.uuid4())
    token = bearer(settings, account, session_id=sid)
    other_session = bearer(settings, account, session_id=str(uuid.uuid4()))
    assert (await gw.get("/api/cart", headers=token)).status_code == 200
    revocations = Revocations(settings)
    try:
        await revocations.revoke(sessions=[sid])
        refused = await gw.get("/api/cart", headers=token)
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert (await gw.get("/api/cart", headers=other_session)).status_code == 200
        await revocations.revoke(subjects=[account])
        assert (await gw.get("/api/cart", headers=other_session)).status_code == 401
        # Anonymous visitors and other customers are not affected.
        assert (await gw.get("/api/cart", headers={"X-Cart-Token": "t"})).status_code == 200
        assert (await gw.get("/api/cart", headers=bearer(settings))).status_code == 200
    finally:
        await revocations.close()
