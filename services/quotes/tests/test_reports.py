"""The back office's quote funnel: requested → quoted → accepted, the conversion, the median
time to price and the queue of requests to price, read from real quotes as staff and customers
move them."""

from __future__ import annotations


async def report(client, quotes, days: int = 90) -> dict:
    r = await client.get("/api/staff/quotes/report", params={"days": days}, headers=quotes.staff)
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_funnel_counts_each_step_a_request_reached(client, quotes):
    before = await report(client, quotes)
    priced, accepted = await quotes.submit(), await quotes.submit()
    await quotes.submit()  # left unpriced
    submitted = await report(client, quotes)
    assert submitted["requested"] == before["requested"] + 3
    assert submitted["queues"]["to_price"] == before["queues"]["to_price"] + 3

    for data in (priced, accepted):
        assert (await quotes.issue(data)).status_code == 200
    r = await client.post(f"/api/quotes/{accepted.quote_id}/accept", headers=quotes.customer(accepted))
    assert r.status_code == 202, r.text
    await quotes.wait_status(accepted, "accepted")
    after = await report(client, quotes)
    assert after["quoted"] == before["quoted"] + 2
    assert after["accepted"] == before["accepted"] + 1
    assert after["queues"]["to_price"] == before["queues"]["to_price"] + 1
    assert after["median_hours_to_price"] is not None and after["median_hours_to_price"] >= 0
    assert 0 <= after["conversion"] <= 1


async def test_the_report_is_staff_only_and_its_window_bounded(client, quotes):
    data = await quotes.submit()
    r = await client.get("/api/staff/quotes/report", headers=quotes.customer(data))
    assert r.status_code == 403
    for days in (1, 400):
        r = await client.get("/api/staff/quotes/report", params={"days": days},
                             headers=quotes.staff)
        assert r.status_code == 422
