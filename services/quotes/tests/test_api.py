"""The HTTP contract: who may do what, bad input answered 4xx naming the field, lists and paging."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sportello.testing import bearer, problem_fields
from sportello_quotes import domain


def rome_today():
    return domain.rome_today(datetime.now(UTC))


STAFF_ROUTES = [
    ("get", "/api/staff/quotes", None),
    ("get", "/api/staff/quotes/{id}", None),
    ("post", "/api/staff/quotes/{id}/issue", {"lines": [], "valid_until": "2030-01-01"}),
    ("post", "/api/staff/quotes/{id}/reject", {"reason": "no"}),
]


async def test_customers_get_403_and_anonymous_401_on_staff_routes(client, settings, quotes):
    data = await quotes.submit()
    for method, path, body in STAFF_ROUTES:
        url = path.format(id=data.quote_id)
        kw = {"json": body} if body is not None else {}
        r = await client.request(method.upper(), url, headers=quotes.customer(data), **kw)
        assert r.status_code == 403, (method, url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"] == "Questa operazione è riservata allo staff."
        r = await client.request(method.upper(), url, **kw)
        assert r.status_code == 401, (method, url)
    assert (await quotes.get(data)).json()["status"] == "requested"


async def test_another_customer_gets_404_and_changes_nothing(client, settings, quotes):
    data = await quotes.submit()
    assert (await quotes.issue(data)).status_code == 200
    stranger = bearer(settings, uuid.uuid4())
    for method, suffix in (("GET", ""), ("POST", "/accept"), ("POST", "/decline")):
        r = await client.request(method, f"/api/quotes/{data.quote_id}{suffix}", headers=stranger)
        assert r.status_code == 404, suffix
        assert r.json()["detail"] == "Preventivo non trovato."
    listed = (await client.get("/api/quotes", headers=stranger)).json()
    assert listed == {"items": [], "next_cursor": None}
    # Staff are customers too on customer routes: someone else's quote is not theirs either.
    r = await client.get(f"/api/quotes/{data.quote_id}", headers=quotes.staff)
    assert r.status_code == 404
    assert (await quotes.get(data)).json()["status"] == "quoted"


async def test_unknown_quote_is_404_for_staff_and_customers(client, quotes):
    missing = uuid.uuid4()
    assert (await client.get(f"/api/staff/quotes/{missing}", headers=quotes.staff)).status_code == 404
    r = await client.post(f"/api/staff/quotes/{missing}/reject", json={"reason": "x"},
                          headers=quotes.staff)
    assert r.status_code == 404
    data = quotes.request()
    assert (await quotes.get(data)).status_code == 404


async def test_issue_with_a_missing_line_names_it_and_changes_nothing(client, settings, quotes):
    data = await quotes.submit(lines=3)
    body = {"lines": [{"line_id": str(data.lines[0].line_id), "unit_net_cents": 1000},
                      {"line_id": str(data.lines[2].line_id), "unit_net_cents": 1000}],
            "valid_until": (rome_today() + timedelta(days=10)).isoformat()}
    r = await client.post(f"/api/staff/quotes/{data.quote_id}/issue", json=body, headers=quotes.staff)
    assert r.status_code == 422
    fields = problem_fields(r.json())
    assert list(fields) == ["lines.1.line_id"]
    assert "Servizio 1" in fields["lines.1.line_id"]
    mine = (await quotes.get(data)).json()
    assert mine["status"] == "requested" and mine["revision"] == 0
    rows = await quotes.sql("SELECT count(*) FROM outbox WHERE event_type = 'quote.issued' "
                            "AND envelope->'data'->>'quote_id' = :id", id=str(data.quote_id))
    assert rows[0][0] == 0


@pytest.mark.parametrize("case, change, field", [
    ("negative price", lambda b, d: b["lines"][1].update(unit_net_cents=-1), "lines.1.unit_net_cents"),
    ("huge price", lambda b, d: b["lines"][0].update(unit_net_cents=10**30), "lines.0.unit_net_cents"),
    ("price as text", lambda b, d: b["lines"][0].update(unit_net_cents="dieci"),
     "lines.0.unit_net_cents"),
    ("unknown line", lambda b, d: b["lines"][0].update(line_id=str(uuid.uuid4())), "lines.0.line_id"),
    ("not a uuid", lambda b, d: b["lines"][0].update(line_id="riga-1"), "lines.0.line_id"),
    ("same line twice", lambda b, d: b["lines"].append(dict(b["lines"][0])), "lines.2.line_id"),
    ("past validity", lambda b, d: b.update(valid_until=(rome_today() - timedelta(days=1)).isoformat()),
     "valid_until"),
    ("italian date", lambda b, d: b.update(valid_until="31/12/2030"), "valid_until"),
    ("no validity", lambda b, d: b.pop("valid_until"), "valid_until"),
    ("no lines", lambda b, d: b.update(lines=[]), "lines"),
    ("lines not a list", lambda b, d: b.update(lines="tutte"), "lines"),
    ("note too long", lambda b, d: b.update(note="x" * 2001), "note"),
    ("NUL in note", lambda b, d: b.update(note="prezzo\x00"), "note"),
])
async def test_bad_issue_is_422_naming_the_field(client, quotes, case, change, field):
    data = await quotes.submit(lines=2)
    body = {"lines": [{"line_id": str(line.line_id), "unit_net_cents": 5000} for line in data.lines],
            "valid_until": (rome_today() + timedelta(days=10)).isoformat(), "note": "ok"}
    change(body, data)
    r = await client.post(f"/api/staff/quotes/{data.quote_id}/issue", json=body, headers=quotes.staff)
    assert r.status_code == 422, (case, r.text)
    assert r.headers["content-type"] == "application/problem+json"
    fields = problem_fields(r.json())
    assert field in fields, (case, fields)
    # Our Italian messages, never pydantic's English defaults.
    assert not any("Input should" in m or "Value error" in m for m in fields.values()), fields
    assert (await quotes.get(data)).json()["status"] == "requested"


async def test_malformed_requests_never_500(client, quotes):
    data = await quotes.submit()
    url = f"/api/staff/quotes/{data.quote_id}"
    cases = [
        await client.post(f"{url}/issue", content=b"{not json", headers={
            **quotes.staff, "content-type": "application/json"}),
        await client.post(f"{url}/issue", json=[1, 2], headers=quotes.staff),
        await client.post(f"{url}/reject", json={"reason": "   "}, headers=quotes.staff),
        await client.post(f"{url}/reject", json={}, headers=quotes.staff),
        await client.get("/api/staff/quotes/not-a-uuid", headers=quotes.staff),
        await client.get("/api/staff/quotes?status=bozza", headers=quotes.staff),
        await client.get("/api/staff/quotes?older_than_days=-1", headers=quotes.staff),
        await client.get("/api/staff/quotes?limit=1000", headers=quotes.staff),
        await client.get("/api/staff/quotes?cursor=%%%", headers=quotes.staff),
        await client.get("/api/quotes?cursor=eyJ4IjoxfQ", headers=quotes.customer(data)),
        await client.get("/api/quotes?cursor=WzEsMl0", headers=quotes.customer(data)),
        await client.post(f"/api/quotes/{data.quote_id}/accept", json={"revision": "ultima"},
                          headers=quotes.customer(data)),
        await client.post(f"/api/quotes/{data.quote_id}/decline", json={"reason": 5},
                          headers=quotes.customer(data)),
        await client.post(f"/api/quotes/{data.quote_id}/decline", json={"reason": "x" * 2001},
                          headers=quotes.customer(data)),
    ]
    assert [r.status_code for r in cases] == [422] * len(cases), [r.text for r in cases]
    assert problem_fields(cases[2].json()) == {"reason": "Il testo è troppo corto (minimo 1 caratteri)."}
    assert "status" in problem_fields(cases[5].json())
    assert "cursor" in problem_fields(cases[8].json())
    assert (await quotes.get(data)).json()["status"] == "requested"


async def test_my_quotes_are_paged_newest_first(client, quotes):
    customer = uuid.uuid4()
    submitted = [await quotes.submit(customer_id=customer) for _ in range(5)]
    headers = quotes.customer(submitted[0])
    seen, cursor = [], None
    while True:
        r = await client.get("/api/quotes", params={"limit": 2, **({"cursor": cursor} if cursor else {})},
                             headers=headers)
        assert r.status_code == 200
        page = r.json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [q["id"] for q in seen] == [str(d.quote_id) for d in reversed(submitted)]
    assert set(seen[0]) >= {"id", "number", "status", "created_at", "valid_until", "total_gross_cents"}


async def test_staff_filter_by_status_and_age(client, quotes):
    old, fresh = await quotes.submit(), await quotes.submit()
    quoted = await quotes.submit()
    assert (await quotes.issue(quoted)).status_code == 200
    await quotes.sql("UPDATE quotes SET created_at = created_at - interval '400 days' WHERE id = :id",
                     id=old.quote_id)

    async def all_pages(**params):
        items, cursor = [], None
        while True:
            r = await client.get("/api/staff/quotes", params={**params, "limit": 100,
                                 **({"cursor": cursor} if cursor else {})}, headers=quotes.staff)
            assert r.status_code == 200, r.text
            items += r.json()["items"]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                return items

    waiting_long = await all_pages(status="requested", older_than_days=365)
    assert str(old.quote_id) in [q["id"] for q in waiting_long]
    assert str(fresh.quote_id) not in [q["id"] for q in waiting_long]
    assert all(q["status"] == "requested" for q in waiting_long)

    requested = await all_pages(status="requested")
    ids = [q["id"] for q in requested]
    assert str(old.quote_id) in ids and str(fresh.quote_id) in ids and str(quoted.quote_id) not in ids
    # Oldest first: the request that has waited longest comes first.
    assert ids.index(str(old.quote_id)) < ids.index(str(fresh.quote_id))
    entry = next(q for q in requested if q["id"] == str(fresh.quote_id))
    assert entry["customer"]["email"] == fresh.customer.email and entry["line_count"] == 2

    assert str(quoted.quote_id) in [q["id"] for q in await all_pages(status="quoted")]
    r = await client.get("/api/staff/quotes", params={"limit": 1}, headers=quotes.staff)
    assert len(r.json()["items"]) == 1 and r.json()["next_cursor"]


async def test_staff_list_one_customers_quotes_newest_first(client, quotes):
    customer = uuid.uuid4()
    theirs = [await quotes.submit(customer_id=customer) for _ in range(3)]
    other = await quotes.submit()
    r = await client.get("/api/staff/quotes", params={"customer_id": str(customer), "limit": 2},
                         headers=quotes.staff)
    assert r.status_code == 200, r.text
    first = r.json()
    r = await client.get("/api/staff/quotes", headers=quotes.staff, params={
        "customer_id": str(customer), "limit": 2, "cursor": first["next_cursor"]})
    ids = [q["id"] for q in first["items"] + r.json()["items"]]
    assert ids == [str(d.quote_id) for d in reversed(theirs)] and r.json()["next_cursor"] is None
    assert str(other.quote_id) not in ids
    r = await client.get("/api/staff/quotes", params={"customer_id": "uno"}, headers=quotes.staff)
    assert r.status_code == 422
