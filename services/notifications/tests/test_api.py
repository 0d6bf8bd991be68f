"""GET /api/staff/notifications: staff only, filters, paging, Italian 422s that name the field."""

from __future__ import annotations

import uuid

import notifications_samples as samples
from sportello.testing import bearer, problem_fields, publish_event


async def test_the_list_needs_a_token_and_the_staff_role(client, settings):
    assert (await client.get("/api/staff/notifications")).status_code == 401
    r = await client.get("/api/staff/notifications", headers=bearer(settings, role="customer"))
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert "staff" in r.json()["detail"]


async def test_bad_filters_are_422_naming_the_field_in_italian(client, staff):
    for params, field in ([{"status": "spedita"}, "status"], [{"limit": 0}, "limit"],
                          [{"limit": 101}, "limit"], [{"cursor": "%%%"}, "cursor"],
                          [{"event_id": "nope"}, "event_id"]):
        r = await client.get("/api/staff/notifications", params=params, headers=staff.headers)
        assert r.status_code == 422, (params, r.text)
        fields = problem_fields(r.json())
        assert field in fields, fields
        assert fields[field][0].isupper()  # an Italian sentence, not a pydantic code


async def test_the_list_pages_newest_first_and_filters_by_recipient(client, sink, staff):
    who = samples.customer()
    event_ids = []
    for _ in range(3):
        envelope = await publish_event(sink, "account.registered", samples.account_registered(who))
        event_ids.append(envelope.id)
    for event_id in event_ids:
        await staff.wait_all_sent(event_id, 1)

    seen, cursor = [], None
    while True:
        params = {"recipient": who.email.upper(), "limit": 2, **({"cursor": cursor} if cursor else {})}
        r = await client.get("/api/staff/notifications", params=params, headers=staff.headers)
        assert r.status_code == 200
        body = r.json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 3 and len({n["id"] for n in seen}) == 3
    assert [n["created_at"] for n in seen] == sorted((n["created_at"] for n in seen), reverse=True)
    assert {uuid.UUID(n["event_id"]) for n in seen} == set(event_ids)
    assert all(n["recipient"] == who.email and n["status"] == "sent" and n["sent_at"]
               for n in seen)
