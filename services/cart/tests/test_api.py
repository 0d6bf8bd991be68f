"""The cart through its HTTP API against the real database (replica fed by real events)."""

from __future__ import annotations

import uuid

import pytest
from sportello.contracts.legal import TERMS_VERSION
from sportello.testing import problem_fields

from .conftest import ANSWERS, ANSWERS_UNIT_NET, Customer, publish, retire, snapshot


async def anonymous(client) -> dict[str, str]:
    r = await client.post("/api/cart/session")
    assert r.status_code == 201
    return {"X-Cart-Token": r.json()["cart_token"]}


async def test_anonymous_visitor_adds_a_line_and_sees_prices_and_totals(client, fixed_service):
    visitor = await anonymous(client)
    r = await client.post("/api/cart/items", headers=visitor, json={
        "service_slug": fixed_service.slug, "quantity": 2,
        "answers": {**ANSWERS, "urgency": "urgent", "hosting": True}})
    assert r.status_code == 201, r.text
    line = r.json()
    # (100 + 3×50 + 20) × 1.30 = 351,00 net per unit; × 2 = 702,00; VAT 22 % = 154,44
    assert line["unit_net_cents"] == 35100
    assert (line["net_cents"], line["vat_cents"], line["gross_cents"]) == (70200, 15444, 85644)
    assert line["service"] == {"slug": fixed_service.slug, "name": "Sito vetrina", "version": 1}
    assert {"label": "Urgenza", "value": "Urgente (+30%)"} in line["answer_labels"]
    assert line["locked_by_quote"] is None

    cart = (await client.get("/api/cart", headers=visitor)).json()
    assert [x["id"] for x in cart["lines"]] == [line["id"]]
    assert cart["totals"] == {"net_cents": 70200, "vat_cents": 15444, "gross_cents": 85644}
    assert cart["currency"] == "EUR"


async def test_vat_is_rounded_half_up_per_line(settings, client):
    s = await publish(settings, client, snapshot(base_net_cents=1025, vat_rate_bp=1000, fields=[]))
    visitor = await anonymous(client)
    r = await client.post("/api/cart/items", headers=visitor, json={"service_slug": s.slug})
    assert r.json()["vat_cents"] == 103  # 102.5 → 103


async def test_bad_answers_give_one_error_each_and_add_nothing(client, fixed_service):
    visitor = await anonymous(client)
    r = await client.post("/api/cart/items", headers=visitor, json={
        "service_slug": fixed_service.slug,
        "answers": {"pages": 21, "urgency": "ieri", "colore": "blu"}})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem_fields(r.json()) == {
        "answers.company": "Campo obbligatorio.",
        "answers.pages": "Il valore massimo è 20.",
        "answers.urgency": "Scegli una delle opzioni proposte.",
        "answers.colore": "Campo sconosciuto per questo servizio.",
    }
    assert (await client.get("/api/cart", headers=visitor)).json()["lines"] == []


async def test_malformed_bodies_are_422_naming_the_field(client, fixed_service):
    visitor = await anonymous(client)
    for body, field in [
        ({"service_slug": fixed_service.slug, "answers": ANSWERS, "quantity": 0}, "quantity"),
        ({"service_slug": fixed_service.slug, "answers": ANSWERS, "quantity": 101}, "quantity"),
        ({"service_slug": fixed_service.slug, "answers": "tutto"}, "answers"),
        ({"answers": ANSWERS}, "service_slug"),
        ({"service_slug": "non-esiste"}, "service_slug"),
        ({"service_slug": fixed_service.slug, "answers": ANSWERS, "prezzo": 1}, "prezzo"),
    ]:
        r = await client.post("/api/cart/items", headers=visitor, json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in problem_fields(r.json()), (body, r.json())
    r = await client.post("/api/cart/items", headers={**visitor, "content-type": "application/json"},
                          content=b"{not json")
    assert r.status_code == 422


async def test_quote_only_services_go_to_the_quote_cart_only(settings, client, fixed_service):
    quote_only = await publish(settings, client, snapshot(pricing_mode="quote", base_net_cents=None))
    askable = await publish(settings, client, snapshot(quote_allowed=True))
    visitor = await anonymous(client)
    r = await client.post("/api/cart/items", headers=visitor,
                          json={"service_slug": quote_only.slug, "answers": ANSWERS})
    assert r.status_code == 409
    assert "preventivo" in r.json()["detail"]
    r = await client.post("/api/cart/quote/items", headers=visitor,
                          json={"service_slug": fixed_service.slug, "answers": ANSWERS})
    assert r.status_code == 409

    for s in (quote_only, askable):
        r = await client.post("/api/cart/quote/items", headers=visitor,
                              json={"service_slug": s.slug, "answers": ANSWERS})
        assert r.status_code == 201, r.text
        assert r.json()["unit_net_cents"] is None and r.json()["gross_cents"] is None
    quote_cart = (await client.get("/api/cart/quote", headers=visitor)).json()
    assert [x["service"]["slug"] for x in quote_cart["lines"]] == [quote_only.slug, askable.slug]
    assert quote_cart["totals"] is None
    assert (await client.get("/api/cart", headers=visitor)).json()["lines"] == []


async def test_a_retired_service_is_refused_clearly(settings, client):
    s = await publish(settings, client, snapshot(name="Logo"))
    await retire(settings, client, s.slug, version=2)
    visitor = await anonymous(client)
    r = await client.post("/api/cart/items", headers=visitor,
                          json={"service_slug": s.slug, "answers": ANSWERS})
    assert r.status_code == 409
    assert r.json()["detail"] == "Il servizio «Logo» non è più disponibile."
    assert r.json()["reason"] == "retired"


async def test_an_older_publication_arriving_late_is_ignored(settings, client):
    s = await publish(settings, client, snapshot(version=3, base_net_cents=30000, fields=[]))
    await publish(settings, client, snapshot(s.slug, version=4, base_net_cents=40000, fields=[]))
    # Version 2 comes last: the replica keeps version 4. Then v5 proves events were handled in order.
    await publish(settings, client, snapshot(s.slug, version=2, base_net_cents=20000, fields=[]))
    await publish(settings, client, snapshot(s.slug, version=5, base_net_cents=40000, fields=[],
                                             name="Nuovo nome"))
    visitor = await anonymous(client)
    r = await client.post("/api/cart/items", headers=visitor, json={"service_slug": s.slug})
    assert (r.json()["unit_net_cents"], r.json()["service"]["version"]) == (40000, 5)


async def test_correcting_a_line_revalidates_and_reprices_it(client, fixed_service):
    visitor = await anonymous(client)
    line = (await client.post("/api/cart/items", headers=visitor, json={
        "service_slug": fixed_service.slug, "answers": ANSWERS})).json()
    assert line["unit_net_cents"] == ANSWERS_UNIT_NET

    r = await client.patch(f"/api/cart/items/{line['id']}", headers=visitor,
                           json={"answers": {**ANSWERS, "pages": 5}, "quantity": 3})
    assert r.status_code == 200, r.text
    assert (r.json()["unit_net_cents"], r.json()["quantity"], r.json()["net_cents"]) == (35000, 3, 105000)
    assert r.json()["answers"]["pages"] == 5

    r = await client.patch(f"/api/cart/items/{line['id']}", headers=visitor,
                           json={"answers": {**ANSWERS, "pages": 0}})
    assert r.status_code == 422
    assert problem_fields(r.json()) == {"answers.pages": "Il valore minimo è 1."}
    r = await client.patch(f"/api/cart/items/{line['id']}", headers=visitor, json={"quantity": -1})
    assert r.status_code == 422 and "quantity" in problem_fields(r.json())
    [kept] = (await client.get("/api/cart", headers=visitor)).json()["lines"]
    assert (kept["answers"]["pages"], kept["quantity"]) == (5, 3)

    assert (await client.delete(f"/api/cart/items/{line['id']}", headers=visitor)).status_code == 204
    assert (await client.get("/api/cart", headers=visitor)).json()["lines"] == []
    assert (await client.delete(f"/api/cart/items/{line['id']}", headers=visitor)).status_code == 404


async def test_another_customers_line_is_not_found(settings, client, fixed_service):
    alice, bob = Customer(settings), Customer(settings)
    line = (await client.post("/api/cart/items", headers=alice.headers, json={
        "service_slug": fixed_service.slug, "answers": ANSWERS})).json()
    visitor = await anonymous(client)
    for who in (bob.headers, visitor):
        r = await client.patch(f"/api/cart/items/{line['id']}", headers=who, json={"quantity": 2})
        assert r.status_code == 404
        assert (await client.delete(f"/api/cart/items/{line['id']}", headers=who)).status_code == 404
    # Nor through the quote cart's routes, even for the owner.
    r = await client.delete(f"/api/cart/quote/items/{line['id']}", headers=alice.headers)
    assert r.status_code == 404
    [still] = (await client.get("/api/cart", headers=alice.headers)).json()["lines"]
    assert still["quantity"] == 1
    assert (await client.get("/api/cart", headers=bob.headers)).json()["lines"] == []


async def test_without_a_token_or_with_an_unknown_one_there_is_no_cart(client):
    assert (await client.get("/api/cart")).status_code == 401
    assert (await client.get("/api/cart", headers={"X-Cart-Token": "indovinato"})).status_code == 404
    r = await client.get("/api/cart", headers={"Authorization": "Bearer falso"})
    assert r.status_code == 401
    r = await client.patch("/api/cart/items/non-un-uuid", headers=await anonymous(client), json={})
    assert r.status_code == 422 and "line_id" in problem_fields(r.json())


async def test_merging_twice_moves_the_anonymous_lines_once(settings, client, fixed_service):
    quote_only = await publish(settings, client, snapshot(pricing_mode="quote"))
    visitor = await anonymous(client)
    me = Customer(settings)
    await client.post("/api/cart/items", headers=me.headers, json={
        "service_slug": fixed_service.slug, "answers": ANSWERS})
    for _ in range(2):
        await client.post("/api/cart/items", headers=visitor, json={
            "service_slug": fixed_service.slug, "answers": ANSWERS})
    await client.post("/api/cart/quote/items", headers=visitor, json={
        "service_slug": quote_only.slug, "answers": ANSWERS})

    first = await client.post("/api/cart/merge", headers={**me.headers, **visitor})
    assert first.status_code == 200, first.text
    assert len(first.json()["lines"]) == 3
    assert first.json()["totals"]["net_cents"] == 3 * ANSWERS_UNIT_NET
    second = await client.post("/api/cart/merge", headers={**me.headers, **visitor})
    assert second.status_code == 200
    assert [x["id"] for x in second.json()["lines"]] == [x["id"] for x in first.json()["lines"]]
    assert len((await client.get("/api/cart/quote", headers=me.headers)).json()["lines"]) == 1
    assert (await client.get("/api/cart", headers=visitor)).json()["lines"] == []

    assert (await client.post("/api/cart/merge", headers=visitor)).status_code == 401
    assert (await client.post("/api/cart/merge", headers=me.headers)).status_code == 422
    r = await client.post("/api/cart/merge", headers={**me.headers, "X-Cart-Token": "sbagliato"})
    assert r.status_code == 404


async def test_a_cart_holds_at_most_fifty_lines(settings, client):
    s = await publish(settings, client, snapshot(fields=[]))
    me = Customer(settings)
    for _ in range(50):
        r = await client.post("/api/cart/items", headers=me.headers, json={"service_slug": s.slug})
        assert r.status_code == 201
    r = await client.post("/api/cart/items", headers=me.headers, json={"service_slug": s.slug})
    assert r.status_code == 409


async def test_anonymous_carts_untouched_for_30_days_are_purged(client, fixed_service):
    from sportello.jobs import run_once
    from sportello_cart.domain import hash_token
    from sportello_cart.jobs import PURGE_ANONYMOUS_CARTS
    from sqlalchemy import text

    old, fresh = await anonymous(client), await anonymous(client)
    for visitor in (old, fresh):
        await client.post("/api/cart/items", headers=visitor, json={
            "service_slug": fixed_service.slug, "answers": ANSWERS})
    async with client.app.state.sessionmaker() as s, s.begin():
        # The passing of 31 days, for this one session.
        await s.execute(text("UPDATE cart_sessions SET touched_at = now() - interval '31 days' "
                             "WHERE token_hash = :h"), {"h": hash_token(old["X-Cart-Token"])})
    assert await run_once(PURGE_ANONYMOUS_CARTS, client.app.state.sessionmaker) >= 1
    assert (await client.get("/api/cart", headers=old)).status_code == 404
    assert len((await client.get("/api/cart", headers=fresh)).json()["lines"]) == 1


async def test_a_new_customer_without_lines_gets_an_empty_cart_with_a_stable_id(settings, client):
    me = Customer(settings)
    a = (await client.get("/api/cart", headers=me.headers)).json()
    b = (await client.get("/api/cart", headers=me.headers)).json()
    assert a["id"] == b["id"] and a["lines"] == [] and a["totals"]["gross_cents"] == 0
    assert uuid.UUID(a["id"])


async def test_odd_inputs_never_give_a_server_error(settings, client, fixed_service):
    me = Customer(settings)
    line = (await client.post("/api/cart/items", headers=me.headers, json={
        "service_slug": fixed_service.slug, "answers": ANSWERS})).json()
    odd_answers = [
        {"company": ["a"], "pages": {"n": 1}, "urgency": ["normal"], "hosting": {"x": 1}},
        {"company": None, "pages": 1e308, "urgency": 3, "hosting": 7},
        {"company": "x" * 100_000, "pages": "9" * 50, "urgency": "", "hosting": "maybe"},
        {"": 1, "a.b": 2, "pages": 0.5},
    ]
    for answers in odd_answers:
        for method, path in (("POST", "/api/cart/items"), ("PATCH", f"/api/cart/items/{line['id']}")):
            body = {"answers": answers}
            if method == "POST":
                body["service_slug"] = fixed_service.slug
            r = await client.request(method, path, headers=me.headers, json=body)
            assert r.status_code == 422, (answers, r.text)
    for body in ([], "x", {"service_slug": 5}, {"service_slug": fixed_service.slug, "quantity": "tanti"},
                 {"service_slug": fixed_service.slug, "quantity": 10**30}):
        r = await client.post("/api/cart/items", headers=me.headers, json=body)
        assert r.status_code == 422, (body, r.text)
    for body in ([], {"billing": "x"}, {"billing": [], "payment_method": None}):
        r = await client.post("/api/cart/checkout", headers=me.with_key("odd"), json=body)
        assert r.status_code == 422, (body, r.text)
    # Python's JSON parser takes NaN and Infinity: they must be refused like any bad number.
    raw = ('{"service_slug": "SLUG", "answers": {"company": "a", "pages": NaN, "urgency": "normal"},'
           ' "quantity": Infinity}').replace("SLUG", fixed_service.slug).encode()
    r = await client.post("/api/cart/items", content=raw,
                          headers={**me.headers, "content-type": "application/json"})
    assert r.status_code == 422, r.text
    r = await client.post("/api/cart/quote/submit", headers=me.with_key("odd"), json={"message": 5})
    assert r.status_code == 422
    r = await client.get("/api/cart", headers={"X-Cart-Token": "t" * 201})
    assert r.status_code == 422
    [kept] = (await client.get("/api/cart", headers=me.headers)).json()["lines"]
    assert kept["answers"] == line["answers"]


async def test_a_nul_character_is_refused_by_name_not_a_server_error(settings, client, fixed_service):
    me = Customer(settings, email="nul@example.it")
    r = await client.post("/api/cart/items", headers=me.headers, json={
        "service_slug": fixed_service.slug, "answers": {**ANSWERS, "company": "Ro\x00ssi"}})
    assert r.status_code == 422 and problem_fields(r.json()) == {
        "answers.company": "Il testo contiene caratteri non ammessi."}
    r = await client.post("/api/cart/items", headers=me.headers, json={"service_slug": "a\x00b"})
    assert r.status_code == 422 and "service_slug" in problem_fields(r.json())
    r = await client.post("/api/cart/quote/submit", headers={**me.headers, "Idempotency-Key": "n"},
                          json={"message": "ciao\x00"})
    assert r.status_code == 422 and "message" in problem_fields(r.json())
    from .conftest import BILLING
    r = await client.post("/api/cart/checkout", headers={**me.headers, "Idempotency-Key": "n"},
                          json={"billing": {**BILLING, "address": {**BILLING["address"],
                                                                   "city": "Mi\x00lano"}},
                                "terms_version": TERMS_VERSION, "payment_method": "card"})
    assert r.status_code == 422 and "billing.address.city" in problem_fields(r.json())


@pytest.mark.parametrize("depth", [500, 1000, 20000])
async def test_deeply_nested_answers_are_a_4xx_never_a_500(settings, client, fixed_service, depth):
    me = Customer(settings, email=f"profondo{depth}@example.it")
    deep = "[" * depth + "1" + "]" * depth
    raw = f'{{"service_slug": "{fixed_service.slug}", "answers": {{"company": {deep}}}}}'
    for path in ("/api/cart/items", "/api/cart/quote/items"):
        r = await client.post(path, content=raw.encode(),
                              headers={**me.headers, "content-type": "application/json"})
        assert r.status_code in (400, 422), r.text
        assert r.headers["content-type"] == "application/problem+json"
    assert (await client.get("/api/cart", headers=me.headers)).json()["lines"] == []
