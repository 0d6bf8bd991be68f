"""The consumer's withdrawal and staff's refund (Codice del Consumo artt. 52, 57, 59), and the
accepted conditions of sale kept on the order: through HTTP and the broker."""

from __future__ import annotations

import uuid
from datetime import timedelta

from orders_testkit import billing
from sportello.contracts.legal import TERMS_VERSION
from sportello.testing import problem_fields
from sqlalchemy import text

AZIENDA = billing().model_copy(update={
    "customer_type": "azienda", "first_name": None, "last_name": None, "tax_code": None,
    "company_name": "Rossi S.r.l.", "vat_number": "12345670017", "sdi_code": "ABC1234"})


async def paid_order(shop, who, **kw) -> dict:
    order = await shop.place(who, "bank_transfer", **kw)
    r = await shop.api.post(f"/api/staff/orders/{order['id']}/confirm-transfer",
                            headers=shop.staff)
    assert r.status_code == 200, r.text
    return r.json()


async def withdraw(shop, who, order_id, reason: str | None = None):
    return await shop.api.post(f"/api/orders/{order_id}/withdraw", headers=who.headers,
                               json={"reason": reason} if reason else None)


async def test_the_order_shows_the_terms_and_the_early_start_the_customer_accepted(shop):
    me = shop.customer()
    order = await shop.place(me, early_start=True)
    assert order["terms"]["version"] == TERMS_VERSION
    assert order["terms"]["url"].endswith(f"/condizioni-di-vendita/{TERMS_VERSION}")
    assert order["terms"]["accepted_at"] and order["early_start_consent_at"]
    assert order["withdrawal_until"] is not None
    assert order["can_withdraw"] is False  # unpaid: the customer cancels instead


async def test_a_consumer_withdraws_and_staff_refund_the_whole_amount(shop, tap):
    me = shop.customer()
    order = await paid_order(shop, me)
    assert order["can_withdraw"] is True
    r = await withdraw(shop, me, order["id"], "Ho cambiato idea.")
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "withdrawal_requested"
    assert r.json()["status_label"] == "Recesso richiesto"
    assert r.json()["withdrawal"]["reason"] == "Ho cambiato idea."
    [event] = await tap.wait_for("order.withdrawal_requested",
                                 lambda d: d["order_id"] == order["id"])
    assert event.data["reason"] == "Ho cambiato idea."
    assert event.data["early_start_consent_at"] is None

    again = await withdraw(shop, me, order["id"])
    assert again.status_code == 409

    # Without an early start nothing may be kept back.
    partial = await shop.api.post(f"/api/staff/orders/{order['id']}/refund", headers=shop.staff,
                                  json={"amount_cents": 100, "note": "Parte eseguita"})
    assert partial.status_code == 422 and "amount_cents" in problem_fields(partial.json())
    done = await shop.api.post(f"/api/staff/orders/{order['id']}/refund", headers=shop.staff,
                               json={})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "refunded"
    assert done.json()["refund"]["amount_cents"] == order["total_gross_cents"]
    [changed] = await tap.wait_for(
        "order.status_changed",
        lambda d: d["order_id"] == order["id"] and d["status"] == "refunded")
    assert changed.data["refund_cents"] == order["total_gross_cents"]


async def test_after_an_early_start_staff_refund_a_pro_rata_amount_with_a_note(shop, tap):
    me = shop.customer()
    order = await paid_order(shop, me, early_start=True)
    await shop.staff_move(order["id"], "in_progress")
    assert (await withdraw(shop, me, order["id"])).status_code == 202
    url = f"/api/staff/orders/{order['id']}/refund"
    too_much = await shop.api.post(url, headers=shop.staff, json={
        "amount_cents": order["total_gross_cents"] + 1, "note": "x"})
    assert too_much.status_code == 422 and "amount_cents" in problem_fields(too_much.json())
    no_note = await shop.api.post(url, headers=shop.staff, json={"amount_cents": 20_000})
    assert no_note.status_code == 422 and "note" in problem_fields(no_note.json())
    by_customer = await shop.api.post(url, headers=me.headers, json={"amount_cents": 20_000})
    assert by_customer.status_code == 403
    done = await shop.api.post(url, headers=shop.staff, json={
        "amount_cents": 20_000, "note": "Eseguite 2 pagine su 5 prima del recesso."})
    assert done.status_code == 200, done.text
    assert done.json()["refund"] == {"amount_cents": 20_000,
                                     "note": "Eseguite 2 pagine su 5 prima del recesso."}
    [changed] = await tap.wait_for(
        "order.status_changed",
        lambda d: d["order_id"] == order["id"] and d["status"] == "refunded")
    assert changed.data["refund_cents"] == 20_000
    mine = (await shop.order(me, order["id"])).json()
    assert mine["status"] == "refunded" and mine["refund"]["amount_cents"] == 20_000


async def test_an_azienda_may_not_withdraw(shop):
    me = shop.customer()
    order = await paid_order(shop, me, billing_data=AZIENDA)
    assert order["can_withdraw"] is False and order["withdrawal_until"] is None
    r = await withdraw(shop, me, order["id"])
    assert r.status_code == 409
    assert "solo ai consumatori" in r.json()["detail"]


async def test_no_withdrawal_after_fourteen_days(shop, sessionmaker):
    me = shop.customer()
    order = await paid_order(shop, me)
    async with sessionmaker() as s:
        await s.execute(text("UPDATE orders SET placed_at = placed_at - CAST(:age AS interval) "
                             "WHERE id = :id"),
                        {"age": timedelta(days=14, minutes=1), "id": uuid.UUID(order["id"])})
        await s.commit()
    aged = (await shop.order(me, order["id"])).json()
    assert aged["can_withdraw"] is False
    r = await withdraw(shop, me, order["id"])
    assert r.status_code == 409 and "scaduto" in r.json()["detail"]


async def test_a_service_fully_performed_after_an_early_start_cannot_be_withdrawn(shop):
    me = shop.customer()
    order = await paid_order(shop, me, early_start=True)
    await shop.staff_move(order["id"], "in_progress")
    await shop.staff_move(order["id"], "completed")
    r = await withdraw(shop, me, order["id"])
    assert r.status_code == 409 and "eseguito per intero" in r.json()["detail"]
    # Without the early-start request a completed service may still be withdrawn from.
    other = shop.customer()
    plain = await paid_order(shop, other)
    await shop.staff_move(plain["id"], "in_progress")
    await shop.staff_move(plain["id"], "completed")
    assert (await withdraw(shop, other, plain["id"])).status_code == 202


async def test_another_customer_cannot_withdraw_my_order(shop):
    me, other = shop.customer(), shop.customer()
    order = await paid_order(shop, me)
    assert (await withdraw(shop, other, order["id"])).status_code == 404
    long_reason = await withdraw(shop, me, order["id"], "x" * 2001)
    assert long_reason.status_code == 422 and "reason" in problem_fields(long_reason.json())


async def test_control_characters_in_a_reason_or_note_are_a_422_naming_the_field(shop):
    me = shop.customer()
    order = await paid_order(shop, me)
    bell = await withdraw(shop, me, order["id"], "ciao\x07")
    assert bell.status_code == 422 and "reason" in problem_fields(bell.json())
    nul = await withdraw(shop, me, order["id"], "ciao\x00")
    assert nul.status_code == 422 and "reason" in problem_fields(nul.json())
    assert (await withdraw(shop, me, order["id"])).status_code == 202
    note = await shop.api.post(f"/api/staff/orders/{order['id']}/refund", headers=shop.staff,
                               json={"note": "x\x1b"})
    assert note.status_code == 422 and "note" in problem_fields(note.json())
