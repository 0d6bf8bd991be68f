"""Events in, events out: duplicates, numbering under concurrency, order.paid, account.deleted."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime

from sportello.contracts.events import AccountDeleted
from sportello.testing import EventTap, publish_event, wait_for
from sportello_quotes import repository


async def outbox_count(quotes, event_type: str, quote_id: uuid.UUID) -> int:
    rows = await quotes.sql("SELECT count(*) FROM outbox WHERE event_type = :t "
                            "AND envelope->'data'->>'quote_id' = :id", t=event_type, id=str(quote_id))
    return rows[0][0]


async def inbox_has(quotes, event_id: uuid.UUID) -> bool:
    rows = await quotes.sql("SELECT 1 FROM inbox WHERE event_id = :id", id=event_id)
    return bool(rows)


async def test_duplicate_quote_cart_submitted_makes_one_quote(client, settings, quotes):
    data = quotes.request()
    async with EventTap(settings, "quote.requested") as tap:
        # The same message delivered twice, and the cart publishing the same quote again.
        first = await publish_event(settings, "quote_cart.submitted", data, producer="cart")
        await publish_event(settings, "quote_cart.submitted", data, producer="cart",
                            event_id=first.id)
        again = await publish_event(settings, "quote_cart.submitted", data, producer="cart")
        await wait_for(lambda: inbox_has(quotes, first.id))
        await wait_for(lambda: inbox_has(quotes, again.id))
        # A later request, to know the consumer has moved past the duplicates.
        marker = await quotes.submit()
        await tap.wait_for("quote.requested", lambda d: d["quote_id"] == str(marker.quote_id))
        await wait_for(lambda: quotes.sql("SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL"))
        assert len([e for e in tap.of_type("quote.requested")
                    if e.data["quote_id"] == str(data.quote_id)]) == 1
    assert await outbox_count(quotes, "quote.requested", data.quote_id) == 1
    rows = await quotes.sql("SELECT count(*) FROM quotes WHERE id = :id", id=data.quote_id)
    assert rows[0][0] == 1
    assert (await quotes.get(data)).json()["status"] == "requested"


async def test_numbers_are_sequential_and_unique_under_concurrency(client, settings, quotes):
    batch = [quotes.request(lines=1) for _ in range(25)]
    await asyncio.gather(*(publish_event(settings, "quote_cart.submitted", d, producer="cart")
                           for d in batch))
    seen = await asyncio.gather(*(quotes.wait_status(d, "requested") for d in batch))
    numbers = [q["number"] for q in seen]
    assert all(re.fullmatch(r"PR-\d{4}-\d{6}", n) for n in numbers)
    assert len(set(numbers)) == len(numbers)

    # Straight at the counter: 30 transactions at once get 30 consecutive numbers, no gaps.
    sessionmaker = client.app.state.sessionmaker

    async def take():
        async with sessionmaker() as session, session.begin():
            return await repository.next_number(session, datetime.now(UTC))

    taken = await asyncio.gather(*(take() for _ in range(30)))
    values = sorted(int(n[-6:]) for n in taken)
    assert values == list(range(values[0], values[0] + 30))


async def test_order_paid_again_or_for_someone_else_changes_nothing(client, settings, quotes):
    data = await quotes.submit(lines=1)
    assert (await quotes.issue(data)).status_code == 200
    r = await client.post(f"/api/quotes/{data.quote_id}/accept", headers=quotes.customer(data))
    assert r.status_code == 202
    lines = [dict(line) for line in r.json()["lines"]]
    for line in lines:
        line["service"] = dict(line["service"])
    # Another customer's order naming this quote must not touch it.
    intruder = quotes.request()
    stolen = await publish_event(settings, "order.paid",
                                 quotes.order_paid(intruder, lines, quote_ids=[data.quote_id]))
    await wait_for(lambda: inbox_has(quotes, stolen.id))
    assert (await quotes.get(data)).json()["status"] == "accepted"
    paid = quotes.order_paid(data, lines)
    await publish_event(settings, "order.paid", paid)
    await quotes.wait_status(data, "ordered")
    # Redelivered under a new envelope id: still one "ordered" in the history.
    second = await publish_event(settings, "order.paid", paid)
    await wait_for(lambda: inbox_has(quotes, second.id))
    mine = (await quotes.get(data)).json()
    assert [h["status"] for h in mine["status_history"]] == ["requested", "quoted", "accepted",
                                                             "ordered"]


async def test_order_paid_for_a_quote_not_accepted_leaves_it(client, settings, quotes):
    data = await quotes.submit(lines=1)
    assert (await quotes.issue(data)).status_code == 200
    event = await publish_event(settings, "order.paid", quotes.order_paid(data, []))
    await wait_for(lambda: inbox_has(quotes, event.id))
    assert (await quotes.get(data)).json()["status"] == "quoted"


async def test_account_deleted_redacts_personal_data_and_closes_open_quotes(client, settings, quotes):
    customer = uuid.uuid4()
    requested = await quotes.submit(customer_id=customer)
    quoted = await quotes.submit(customer_id=customer)
    assert (await quotes.issue(quoted)).status_code == 200
    r = await client.post(f"/api/quotes/{quoted.quote_id}/decline", json={"reason": "Mi chiamo Giulia"},
                          headers=quotes.customer(quoted))
    assert r.status_code == 200
    other = await quotes.submit()
    quoted2 = await quotes.submit(customer_id=customer)
    # Taxed for the customer's billing data: their name, codes and address go with the account.
    billing = {"customer_type": "privato", "first_name": "Giulia", "last_name": "Bianchi",
               "tax_code": "RSSMRA85T10A562S", "email": quoted2.customer.email,
               "address": {"street": "Via Roma 1", "postal_code": "00100", "city": "Roma",
                           "province": "RM"}}
    assert (await quotes.issue(quoted2, billing=billing)).status_code == 200

    async with EventTap(settings, "quote.*") as tap:
        event = await publish_event(settings, "account.deleted", AccountDeleted(account_id=customer),
                                    producer="accounts")
        await wait_for(lambda: inbox_has(quotes, event.id))
        for data, status in ((requested, "rejected"), (quoted, "declined"), (quoted2, "declined")):
            view = (await client.get(f"/api/staff/quotes/{data.quote_id}", headers=quotes.staff)).json()
            assert view["status"] == status
            assert view["redacted"] is True
            assert view["customer"] == {"account_id": str(customer), "email": None,
                                        "first_name": None, "last_name": None}
            assert view["message"] is None
            assert all(line["answers"] == {} for line in view["lines"])
            assert all(a["value"] == "[dato rimosso]" for line in view["lines"]
                       for a in line["answer_labels"])
            assert all(line["answers"] == {} for rev in view["revisions"] for line in rev["lines"])
            assert all(h["note"] is None for h in view["status_history"] if h["actor"] == "customer")
            assert data.customer.email not in str(view)
            assert view["billing"] is None and all(rev["billing"] is None
                                                   for rev in view["revisions"])
            assert "RSSMRA85T10A562S" not in str(view)
        # Nobody is left to notify: closing the open quotes publishes nothing.
        await wait_for(lambda: quotes.sql("SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL"))
        assert not [e for e in tap.events if e.data.get("customer", {}).get("account_id") == str(customer)]
    untouched = (await client.get(f"/api/staff/quotes/{other.quote_id}", headers=quotes.staff)).json()
    assert untouched["customer"]["email"] == other.customer.email and untouched["redacted"] is False
    # Staff can no longer price the closed request.
    assert (await quotes.issue(requested)).status_code == 409
