"""What the fast routes of add to cart and checkout (api.py) could get wrong, seen by a client:
the same answers as the documented routes, the same refusals, the revocation still checked."""

from __future__ import annotations

import uuid

from sportello.contracts.legal import TERMS_VERSION
from sportello.testing import bearer, problem_fields

from .conftest import ANSWERS, ANSWERS_UNIT_NET, BILLING, FIELDS, Customer, publish, retire, snapshot

JSON = {"content-type": "application/json"}


async def test_a_customer_s_line_has_the_shape_of_a_visitor_s(settings, client, fixed_service):
    body = {"service_slug": fixed_service.slug, "answers": ANSWERS, "quantity": 2}
    token = (await client.post("/api/cart/session")).json()["cart_token"]
    visitor = await client.post("/api/cart/items", headers={"X-Cart-Token": token}, json=body)
    me = Customer(settings)
    mine = await client.post("/api/cart/items", headers=me.headers, json=body)
    assert (visitor.status_code, mine.status_code) == (201, 201)
    assert mine.headers["content-type"] == "application/json"
    assert {**mine.json(), "id": None} == {**visitor.json(), "id": None}
    [line] = (await client.get("/api/cart", headers=me.headers)).json()["lines"]
    assert line == mine.json()


async def test_bodies_the_fast_route_cannot_read_get_the_documented_answers(settings, client,
                                                                            fixed_service):
    me = Customer(settings)
    for path in ("/api/cart/items", "/api/cart/quote/items", "/api/cart/checkout"):
        headers = {**me.with_key("k"), **JSON}
        r = await client.post(path, headers=headers, content=b'{"service_slug": ')
        assert r.status_code == 422 and problem_fields(r.json()) == {"body": "JSON non valido."}
        r = await client.post(path, headers=headers, content=b"[1, 2]")
        assert r.status_code == 422 and "body" in problem_fields(r.json()), r.text
        r = await client.post(path, headers=headers, content=b"")
        assert r.status_code == 422 and "body" in problem_fields(r.json()), r.text
        r = await client.post(path, headers={**me.with_key("k"), "content-type": "text/plain"},
                              content=b'{"service_slug": "x"}')
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"


async def test_an_unknown_field_is_named(settings, client, fixed_service):
    me = Customer(settings)
    r = await client.post("/api/cart/items", headers=me.headers,
                          json={"service_slug": fixed_service.slug, "answers": ANSWERS, "sconto": 5})
    assert r.status_code == 422 and problem_fields(r.json()) == {"sconto": "Campo non previsto."}
    r = await client.post("/api/cart/checkout", headers=me.with_key("u"), json={
        "billing": BILLING, "terms_version": TERMS_VERSION, "payment_method": "card", "x": 1})
    assert r.status_code == 422 and problem_fields(r.json()) == {"x": "Campo non previsto."}


async def test_without_a_valid_bearer_the_answer_is_401(settings, client, fixed_service):
    body = {"service_slug": fixed_service.slug, "answers": ANSWERS}
    checkout = {"billing": BILLING, "terms_version": TERMS_VERSION, "payment_method": "card"}
    for headers in ({}, {"Authorization": ""}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer not-a-token"}):
        r = await client.post("/api/cart/items", headers=headers, json=body)
        assert r.status_code == 401, (headers, r.text)
        r = await client.post("/api/cart/checkout", headers={**headers, "Idempotency-Key": "a"},
                              json=checkout)
        assert r.status_code == 401, (headers, r.text)
    # The bearer is checked before the body, as the documented route does.
    r = await client.post("/api/cart/items", headers={"Authorization": "Bearer x"}, json={})
    assert r.status_code == 401


async def test_an_ended_session_is_refused_though_its_token_was_verified_before(settings, client,
                                                                               fixed_service):
    sid = uuid.uuid4().hex
    headers = bearer(settings, uuid.uuid4(), "customer", session_id=sid)
    body = {"service_slug": fixed_service.slug, "answers": ANSWERS}
    assert (await client.post("/api/cart/items", headers=headers, json=body)).status_code == 201
    await client.app.state.revocations.revoke(sessions=[sid])
    r = await client.post("/api/cart/items", headers=headers, json=body)
    assert r.status_code == 401 and r.json()["detail"] == "Sessione terminata: accedi di nuovo."


async def test_a_customer_holding_a_foreign_cart_token_adds_to_their_own_cart(settings, client,
                                                                              fixed_service):
    token = (await client.post("/api/cart/session")).json()["cart_token"]
    me = Customer(settings)
    r = await client.post("/api/cart/items", headers={**me.headers, "X-Cart-Token": token},
                          json={"service_slug": fixed_service.slug, "answers": ANSWERS})
    assert r.status_code == 201, r.text
    assert [x["id"] for x in (await client.get("/api/cart", headers=me.headers)).json()["lines"]] \
        == [r.json()["id"]]
    assert (await client.get("/api/cart", headers={"X-Cart-Token": token})).json()["lines"] == []


async def test_a_full_cart_takes_no_more_lines(settings, client, fixed_service):
    me = Customer(settings)
    body = {"service_slug": fixed_service.slug, "answers": ANSWERS}
    for _ in range(50):
        assert (await client.post("/api/cart/items", headers=me.headers, json=body)).status_code == 201
    r = await client.post("/api/cart/items", headers=me.headers, json=body)
    assert r.status_code == 409 and "50 righe" in r.json()["detail"]
    assert len((await client.get("/api/cart", headers=me.headers)).json()["lines"]) == 50


async def test_first_adds_at_once_share_one_cart(settings, client, fixed_service):
    import asyncio

    me = Customer(settings)
    body = {"service_slug": fixed_service.slug, "answers": ANSWERS}
    answers = await asyncio.gather(*(client.post("/api/cart/items", headers=me.headers, json=body)
                                     for _ in range(8)))
    assert [r.status_code for r in answers] == [201] * 8
    cart = (await client.get("/api/cart", headers=me.headers)).json()
    assert sorted(x["id"] for x in cart["lines"]) == sorted(r.json()["id"] for r in answers)


async def test_an_add_after_a_catalog_change_follows_the_current_replica(settings, client):
    """The fast route prices against the replica row it saw last: each change must still win."""
    me = Customer(settings)
    s = await publish(settings, client, snapshot())
    body = {"service_slug": s.slug, "answers": ANSWERS}
    first = await client.post("/api/cart/items", headers=me.headers, json=body)
    assert (first.status_code, first.json()["unit_net_cents"]) == (201, ANSWERS_UNIT_NET)
    # A new price and a new required field: the answers valid before are not valid now.
    fields = [*FIELDS, {"name": "domain", "label": "Dominio", "type": "text", "required": True}]
    await publish(settings, client, snapshot(s.slug, version=2, base_net_cents=20000,
                                             fields=fields))
    r = await client.post("/api/cart/items", headers=me.headers, json=body)
    assert r.status_code == 422 and "answers.domain" in problem_fields(r.json()), r.text
    r = await client.post("/api/cart/items", headers=me.headers,
                          json={**body, "answers": {**ANSWERS, "domain": "rossi.it"}})
    assert r.status_code == 201, r.text
    assert (r.json()["unit_net_cents"], r.json()["service"]["version"]) \
        == (ANSWERS_UNIT_NET + 10000, 2)
    # Answers the replica seen last would refuse, valid under the current one.
    await publish(settings, client, snapshot(s.slug, version=3))
    r = await client.post("/api/cart/items", headers=me.headers, json=body)
    assert r.status_code == 201 and r.json()["service"]["version"] == 3, r.text
    # A retirement of the very version seen last.
    await retire(settings, client, s.slug, version=3)
    r = await client.post("/api/cart/items", headers=me.headers, json=body)
    assert r.status_code == 409 and r.json()["reason"] == "retired", r.text
