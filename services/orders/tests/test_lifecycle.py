"""The order's life without a customer's click: auto-cancel of unpaid orders, and the redaction
that follows an account's deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orders_testkit import SUCCEEDS
from sportello.contracts.events import AccountDeleted
from sportello.jobs import run_once
from sportello.testing import publish_event, wait_for
from sportello_orders.jobs import auto_cancel
from sqlalchemy import text


async def _age(sessionmaker, order_id: str, hours: float) -> None:
    """Time travel: the order was placed `hours` ago."""
    async with sessionmaker() as s, s.begin():
        await s.execute(text("UPDATE orders SET placed_at = :t WHERE id = :id"),
                        {"t": datetime.now(UTC) - timedelta(hours=hours), "id": order_id})


async def test_unpaid_orders_are_cancelled_after_their_method_s_delay(shop, tap, sessionmaker):
    me = shop.customer()
    card_old = await shop.place(me, "card")
    card_young = await shop.place(me, "card")
    transfer_mid = await shop.place(me, "bank_transfer")
    transfer_old = await shop.place(me, "bank_transfer")
    paid_old = await shop.place(me, "card")
    await shop.pay(me, paid_old["id"], SUCCEEDS)
    await shop.order_when(me, paid_old["id"], lambda o: o["status"] == "paid")
    await _age(sessionmaker, card_old["id"], 25)       # card: 1 day
    await _age(sessionmaker, card_young["id"], 23)
    await _age(sessionmaker, transfer_mid["id"], 25)   # bank transfer: 7 days
    await _age(sessionmaker, transfer_old["id"], 7 * 24 + 1)
    await _age(sessionmaker, paid_old["id"], 30 * 24)

    assert await run_once(auto_cancel, sessionmaker) >= 2
    status = {k: (await shop.order(me, o["id"])).json() for k, o in [
        ("card_old", card_old), ("card_young", card_young), ("transfer_mid", transfer_mid),
        ("transfer_old", transfer_old), ("paid_old", paid_old)]}
    assert {k: v["status"] for k, v in status.items()} == {
        "card_old": "cancelled", "card_young": "awaiting_payment",
        "transfer_mid": "awaiting_payment", "transfer_old": "cancelled", "paid_old": "paid"}
    assert status["card_old"]["status_history"][-1]["note"] == (
        "Annullato automaticamente: pagamento non ricevuto entro 24 ore.")
    assert status["transfer_old"]["status_history"][-1]["note"] == (
        "Annullato automaticamente: pagamento non ricevuto entro 7 giorni.")
    [cancelled] = await tap.wait_for("order.cancelled",
                                     lambda d: d["order_id"] == card_old["id"])
    assert cancelled.data["reason"] == "unpaid_timeout"
    # A second round finds nothing more of these to do.
    await run_once(auto_cancel, sessionmaker)
    assert (await shop.order(me, card_young["id"])).json()["status"] == "awaiting_payment"


async def test_a_customer_paying_right_now_is_not_cancelled_under_their_feet(shop, sessionmaker):
    me = shop.customer()
    order = await shop.place(me, "card")
    await shop.open_payment_page(me, order["id"])  # a fresh pending attempt
    await _age(sessionmaker, order["id"], 48)
    await run_once(auto_cancel, sessionmaker)
    assert (await shop.order(me, order["id"])).json()["status"] == "awaiting_payment"


async def test_account_deletion_redacts_orders_and_keeps_invoicing_data(shop, tap):
    me = shop.customer()
    paid = await shop.place(me, "bank_transfer")
    r = await shop.api.post(f"/api/staff/orders/{paid['id']}/confirm-transfer",
                            headers=shop.staff)
    assert r.status_code == 200
    unpaid = await shop.place(me, "card")

    await publish_event(shop.settings, "account.deleted", AccountDeleted(account_id=me.id),
                        producer="accounts")

    async def redacted():
        r = await shop.api.get(f"/api/staff/orders/{paid['id']}", headers=shop.staff)
        return r.json() if r.json()["customer_email"] == "" else None

    kept = await wait_for(redacted, message="redaction")
    assert kept["status"] == "paid"
    assert kept["billing"] == paid["billing"]  # the invoice's data stays (10 years)
    assert [(ln["service"]["name"], ln["quantity"], ln["gross_cents"]) for ln in kept["lines"]] \
        == [(ln["service"]["name"], ln["quantity"], ln["gross_cents"]) for ln in paid["lines"]]
    assert all(ln["answers"] == {} and ln["answer_labels"] == [] for ln in kept["lines"])
    assert kept["customer_name"] == ""

    gone = (await shop.api.get(f"/api/staff/orders/{unpaid['id']}", headers=shop.staff)).json()
    assert gone["status"] == "cancelled" and gone["billing"] is None
    assert gone["customer_email"] == ""
    [cancelled] = await tap.wait_for("order.cancelled", lambda d: d["order_id"] == unpaid["id"])
    assert cancelled.data["reason"] == "account_deleted"
    assert cancelled.data["customer"]["email"] == ""
