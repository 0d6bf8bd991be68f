"""The back office's figures of orders: per Rome calendar day and the staff's queues, read from
real orders as they are placed, paid and moved."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sportello.numbering import ROME


async def report(shop, days: int = 30) -> dict:
    r = await shop.api.get("/api/staff/orders/report", params={"days": days}, headers=shop.staff)
    assert r.status_code == 200, r.text
    return r.json()


def today(body: dict) -> dict:
    day = datetime.now(UTC).astimezone(ROME).date().isoformat()
    return next(d for d in body["days"] if d["day"] == day)


async def test_a_placed_and_confirmed_transfer_moves_the_days_and_the_queues(shop):
    before = await report(shop)
    who = shop.customer()
    order = await shop.place(who, "bank_transfer")
    placed = await report(shop)
    assert today(placed)["orders"] == today(before)["orders"] + 1
    assert placed["queues"]["transfers_to_confirm"] == before["queues"]["transfers_to_confirm"] + 1

    r = await shop.api.post(f"/api/staff/orders/{order['id']}/confirm-transfer", json={},
                            headers=shop.staff)
    assert r.status_code == 200, r.text
    paid = await report(shop)
    gross = order["totals"]["gross_cents"]
    assert today(paid)["revenue_gross_cents"] == today(placed)["revenue_gross_cents"] + gross
    assert paid["queues"]["transfers_to_confirm"] == before["queues"]["transfers_to_confirm"]
    assert paid["queues"]["paid_to_start"] == placed["queues"]["paid_to_start"] + 1
    assert paid["revenue_gross_cents"] == sum(d["revenue_gross_cents"] for d in paid["days"])


async def test_every_day_of_the_window_is_there_oldest_first(shop):
    body = await report(shop, days=90)
    days = [date.fromisoformat(d["day"]) for d in body["days"]]
    assert len(days) == 90 and days == sorted(days)
    assert days[-1] - days[0] == timedelta(days=89)


async def test_the_report_is_staff_only_and_its_window_bounded(shop):
    who = shop.customer()
    assert (await shop.api.get("/api/staff/orders/report", headers=who.headers)).status_code == 403
    for days in (3, 1000, "x"):
        r = await shop.api.get("/api/staff/orders/report", params={"days": days}, headers=shop.staff)
        assert r.status_code == 422
