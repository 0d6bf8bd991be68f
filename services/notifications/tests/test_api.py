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


async def test_staff_resend_a_failed_email_once_and_never_a_sent_one(client, sink, staff):
    refused = samples.customer(email=f"rifiuta.{uuid.uuid4().hex[:8]}@example.it")
    envelope = await publish_event(sink, "account.registered", samples.account_registered(refused))
    [row] = await staff.wait_for(lambda n: n["status"] == "failed", event_id=str(envelope.id))

    r = await client.post(f"/api/staff/notifications/{row['id']}/resend", headers=staff.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending" and r.json()["attempts"] == 0
    # The sink still refuses it: the sender tried again, and it is failed again, listed once.
    [again] = await staff.wait_for(lambda n: n["status"] == "failed" and n["attempts"] == 1,
                                   event_id=str(envelope.id))
    assert again["id"] == row["id"]

    sent = samples.account_registered()
    marker = await publish_event(sink, "account.registered", sent)
    [ok] = await staff.wait_all_sent(marker.id, 1)
    r = await client.post(f"/api/staff/notifications/{ok['id']}/resend", headers=staff.headers)
    assert r.status_code == 409 and "già stata inviata" in r.json()["detail"]
    r = await client.post(f"/api/staff/notifications/{uuid.uuid4()}/resend", headers=staff.headers)
    assert r.status_code == 404
    r = await client.post(f"/api/staff/notifications/{row['id']}/resend",
                          headers=bearer(sink, role="customer"))
    assert r.status_code == 403
