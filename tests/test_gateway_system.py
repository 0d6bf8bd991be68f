"""The gateway in front of the real services: readiness of each, one merged OpenAPI, no leaks."""

from __future__ import annotations

from sportello.settings import SERVICES


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v.rsplit("/", 1)[-1]
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


async def test_readiness_reports_every_service_ready(api):
    r = await api.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["services"] == dict.fromkeys(SERVICES, "ready")


async def test_merged_openapi_documents_every_service_once(api):
    doc = (await api.get("/api/openapi.json")).json()
    paths = doc["paths"]
    for path in ("/api/accounts/register", "/api/catalog/services/{slug}", "/api/cart/checkout",
                 "/api/quotes/{quote_id}", "/api/orders/{order_id}/pay",
                 "/api/staff/notifications", "/api/staff/notifications/{notification_id}/resend",
                 "/api/staff/accounts", "/api/staff/accounts/{account_id}"):
        assert path in paths, path
    assert "/healthz" not in paths and "/metrics" not in paths
    # Every reference resolves: no operation points at a schema another service renamed away.
    refs = set(_refs(doc))
    assert refs and refs <= set(doc["components"]["schemas"])
    assert "Documentazione parziale" not in doc["info"]["description"]
    docs = await api.get("/api/docs")
    assert docs.status_code == 200 and "/api/openapi.json" in docs.text


async def test_answers_carry_a_request_id_and_no_server_details(api):
    r = await api.get("/api/catalog/categories", headers={"X-Request-ID": "giro-di-prova-1"})
    assert r.status_code == 200
    assert r.headers.get_list("x-request-id") == ["giro-di-prova-1"]
    assert "server" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"
    missing = await api.get("/api/catalog/services/non-esiste")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
