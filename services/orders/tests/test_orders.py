"""An order's life through HTTP and the broker: checkout → order, numbering, ownership, roles,
cancellation, staff moves with outcome notes, and the 409 of every illegal move."""

from __future__ import annotations

import asyncio
import re
import uuid

from orders_testkit import DECLINED, SUCCEEDS, checkout, session_id_of
from sportello.testing import problem_fields, publish_event, wait_for
from sqlalchemy import text

NUMBER = re.compile(r"^SP-\d{4}-\d{6}$")


async def test_checkout_creates_an_order_awaiting_payment_and_announces_it(shop, tap):
    me = shop.customer()
    event = checkout(me.id, "card")
    await publish_event(shop.settings, "cart.checked_out", event, producer="cart")
    order = await shop.order_when(me, event.order_id, lambda o: True)

    assert order["status"] == "awaiting_payment"
    assert NUMBER.match(order["number"])
    assert {k: order["totals"][k] for k in ("net_cents", "vat_cents", "gross_cents")} == {
        "net_cents": 34_689, "vat_cents": 6_432, "gross_cents": 41_121}
    assert [ln["gross_cents"] for ln in order["lines"]] == [30_122, 10_999]
    assert order["lines"][0]["answers"] == {"pagine": 5, "note": "Colori aziendali"}
    assert order["billing"]["tax_code"] == "RSSMRA85T10A562S"
    assert order["payment"] == {"method": "card", "status": "pending", "paid_at": None,
                                "bank_transfer": None}
    assert [h["status"] for h in order["status_history"]] == ["awaiting_payment"]
    assert order["can_pay"] and order["can_cancel"]

    [placed] = await tap.wait_for("order.placed", lambda d: d["order_id"] == str(event.order_id))
    assert placed.producer == "orders"
    assert placed.data["number"] == order["number"]
    assert placed.data["bank_transfer"] is None
    assert placed.data["lines"][0]["line_id"] == str(event.lines[0].line_id)

    listed = (await shop.api.get("/api/orders", headers=me.headers)).json()
    assert listed["items"] == [{
        "id": order["id"], "number": order["number"], "status": "awaiting_payment",
        "status_label": "In attesa di pagamento", "placed_at": order["placed_at"],
        "total_gross_cents": 41_121, "payment_method": "card", "can_withdraw": False}]
    assert listed["next_cursor"] is None


async def test_the_same_checkout_twice_creates_one_order(shop, tap, sessionmaker):
    me = shop.customer()
    event = checkout(me.id)
    first = await publish_event(shop.settings, "cart.checked_out", event, producer="cart")
    # The same envelope redelivered, and the same checkout published again under a new event id.
    await publish_event(shop.settings, "cart.checked_out", event, producer="cart",
                        event_id=first.id)
    again = await publish_event(shop.settings, "cart.checked_out", event, producer="cart")
    await shop.order_when(me, event.order_id, lambda o: True)

    async def handled():  # both envelopes are in the consumer's inbox: all copies were handled
        async with sessionmaker() as s:
            rows = await s.execute(text("SELECT count(*) FROM inbox WHERE event_id = ANY(:ids)"),
                                   {"ids": [first.id, again.id]})
            return rows.scalar_one() == 2

    await wait_for(handled, message="both checkouts handled")
    listed = (await shop.api.get("/api/orders", headers=me.headers)).json()["items"]
    assert [o["id"] for o in listed] == [str(event.order_id)]
    placed = await tap.wait_for("order.placed", lambda d: d["order_id"] == str(event.order_id))
    assert len(placed) == 1


async def test_fifty_concurrent_checkouts_get_fifty_distinct_sequential_numbers(shop):
    me = shop.customer()
    events = [checkout(me.id) for _ in range(50)]
    await asyncio.gather(*(publish_event(shop.settings, "cart.checked_out", e, producer="cart")
                           for e in events))

    async def all_there():
        r = await shop.api.get("/api/orders?limit=100", headers=me.headers)
        items = r.json()["items"]
        return items if len(items) == 50 else None

    items = await wait_for(all_there, 30, message="50 orders")
    numbers = [o["number"] for o in items]
    assert len(set(numbers)) == 50
    assert all(NUMBER.match(n) for n in numbers)
    sequences = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequences == list(range(sequences[0], sequences[0] + 50))  # no gaps, no duplicates


async def test_lists_are_paged_with_a_cursor(shop):
    me = shop.customer()
    ids = [(await shop.place(me))["id"] for _ in range(3)]
    page1 = (await shop.api.get("/api/orders?limit=2", headers=me.headers)).json()
    page2 = (await shop.api.get(f"/api/orders?limit=2&cursor={page1['next_cursor']}",
                                headers=me.headers)).json()
    seen = [o["id"] for o in page1["items"] + page2["items"]]
    assert seen == list(reversed(ids)) and page2["next_cursor"] is None

    bad = await shop.api.get("/api/orders?cursor=not-a-cursor", headers=me.headers)
    assert bad.status_code == 422 and "cursor" in problem_fields(bad.json())
    # Well-formed JSON of the wrong shapes (an id that is a number, a list, an object).
    import base64
    import json
    for shape in (["2026-01-01T00:00:00+00:00", 123], ["2026-01-01T00:00:00+00:00", [1]],
                  [1, {"a": 1}], "x", 5):
        cursor = base64.urlsafe_b64encode(json.dumps(shape).encode()).decode().rstrip("=")
        for path in ("/api/orders", "/api/staff/orders"):
            r = await shop.api.get(f"{path}?cursor={cursor}",
                                   headers=shop.staff if "staff" in path else me.headers)
            assert r.status_code == 422 and "cursor" in problem_fields(r.json()), (shape, r.text)
    too_many = await shop.api.get("/api/orders?limit=101", headers=me.headers)
    assert too_many.status_code == 422 and "limit" in problem_fields(too_many.json())


async def test_another_customer_gets_404_for_every_route_of_my_order(shop):
    me, other = shop.customer(), shop.customer()
    order = await shop.place(me)
    for method, path in [("get", ""), ("post", "/pay"), ("post", "/cancel")]:
        r = await shop.api.request(method.upper(), f"/api/orders/{order['id']}{path}",
                                   headers=other.headers)
        assert r.status_code == 404, (path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert (await shop.api.get("/api/orders", headers=other.headers)).json()["items"] == []
    assert (await shop.order(me, order["id"])).json()["status"] == "awaiting_payment"
    missing = await shop.api.get(f"/api/orders/{uuid.uuid4()}", headers=me.headers)
    assert missing.status_code == 404
    assert (await shop.api.get("/api/orders/not-a-uuid", headers=me.headers)).status_code == 422


async def test_staff_routes_need_the_staff_role(shop):
    me = shop.customer()
    order = await shop.place(me, "bank_transfer")
    calls = [("GET", "/api/staff/orders", None),
             ("GET", f"/api/staff/orders/{order['id']}", None),
             ("POST", f"/api/staff/orders/{order['id']}/status", {"status": "cancelled"}),
             ("POST", f"/api/staff/orders/{order['id']}/confirm-transfer", None)]
    for method, path, body in calls:
        assert (await shop.api.request(method, path, json=body, headers=me.headers)
                ).status_code == 403, path
        assert (await shop.api.request(method, path, json=body)).status_code == 401, path
    assert (await shop.order(me, order["id"])).json()["status"] == "awaiting_payment"
    assert (await shop.api.get("/api/orders")).status_code == 401


async def test_customer_cancels_an_unpaid_order_once(shop, tap):
    me = shop.customer()
    order = await shop.place(me)
    r = await shop.api.post(f"/api/orders/{order['id']}/cancel", headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and not r.json()["can_cancel"]
    await tap.wait_for("order.cancelled", lambda d: d["order_id"] == order["id"])
    changed = await tap.wait_for("order.status_changed", lambda d: d["order_id"] == order["id"])
    assert changed[0].data["from_status"] == "awaiting_payment"

    again = await shop.api.post(f"/api/orders/{order['id']}/cancel", headers=me.headers)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "Annullato" in again.json()["detail"]
    pay = await shop.api.post(f"/api/orders/{order['id']}/pay", headers=me.headers)
    assert pay.status_code == 409


async def test_status_history_and_outcome_notes_are_visible_to_the_customer(shop, tap):
    me = shop.customer()
    order = await shop.place(me)
    redirect = await shop.pay(me, order["id"], SUCCEEDS)
    assert redirect.status_code == 303
    await shop.order_when(me, order["id"], lambda o: o["status"] == "paid")

    r = await shop.staff_move(order["id"], "in_progress", "Abbiamo iniziato la bozza del sito.")
    assert r.status_code == 200, r.text
    assert r.json()["status_history"][-1]["actor"] == "staff"
    r = await shop.staff_move(order["id"], "completed", "Sito pubblicato: www.example.it")
    assert r.status_code == 200, r.text

    mine = (await shop.order(me, order["id"])).json()
    assert mine["status"] == "completed" and mine["status_label"] == "Completato"
    assert [(h["status"], h["note"]) for h in mine["status_history"]] == [
        ("awaiting_payment", None),
        ("paid", "Pagamento con carta ricevuto."),
        ("in_progress", "Abbiamo iniziato la bozza del sito."),
        ("completed", "Sito pubblicato: www.example.it"),
    ]
    assert "actor" not in mine["status_history"][0]  # who did it is for staff only
    changes = await tap.wait_for("order.status_changed", lambda d: d["order_id"] == order["id"],
                                 count=3)
    assert [(c.data["status"], c.data["note"]) for c in changes][1:] == [
        ("in_progress", "Abbiamo iniziato la bozza del sito."),
        ("completed", "Sito pubblicato: www.example.it")]


async def test_every_illegal_transition_is_a_409_and_changes_nothing(shop):
    me = shop.customer()
    targets = ["in_progress", "completed", "refunded", "cancelled"]
    allowed = {
        "awaiting_payment": {"cancelled"},
        "payment_failed": {"cancelled"},
        "paid": {"in_progress", "refunded"},
        "in_progress": {"completed", "refunded"},
        "completed": set(), "cancelled": set(), "refunded": set(),
    }

    async def order_in(status: str) -> str:
        order = await shop.place(me)
        oid = order["id"]
        if status == "payment_failed":
            await shop.pay(me, oid, DECLINED)
        elif status != "awaiting_payment":
            await shop.pay(me, oid, SUCCEEDS)
            await shop.order_when(me, oid, lambda o: o["status"] == "paid")
            path = {"paid": [], "in_progress": ["in_progress"], "completed":
                    ["in_progress", "completed"], "refunded": ["refunded"], "cancelled": None}
            for step in path.get(status) or []:
                assert (await shop.staff_move(oid, step)).status_code == 200
        if status == "cancelled":
            oid = (await shop.place(me))["id"]
            assert (await shop.staff_move(oid, "cancelled")).status_code == 200
        await shop.order_when(me, oid, lambda o: o["status"] == status)
        return oid

    for status, ok in allowed.items():
        oid = await order_in(status)
        before = (await shop.order(me, oid)).json()
        for target in targets:
            if target in ok:
                continue
            r = await shop.staff_move(oid, target, "tentativo")
            assert r.status_code == 409, (status, target, r.text)
            assert r.json()["from_status"] == status and r.json()["to_status"] == target
        if status != "awaiting_payment":
            r = await shop.api.post(f"/api/staff/orders/{oid}/confirm-transfer",
                                    headers=shop.staff)
            assert r.status_code == 409, (status, r.text)
        if "cancelled" not in ok:
            assert (await shop.api.post(f"/api/orders/{oid}/cancel", headers=me.headers)
                    ).status_code == 409
        assert (await shop.order(me, oid)).json() == before, status


async def test_staff_list_filters_and_bad_input_is_a_422(shop):
    me = shop.customer()
    order = await shop.place(me, "bank_transfer")
    r = await shop.api.get(f"/api/staff/orders?status=awaiting_payment&customer_id={me.id}",
                           headers=shop.staff)
    assert r.status_code == 200
    assert [o["id"] for o in r.json()["items"]] == [order["id"]]
    assert r.json()["items"][0]["customer_email"].endswith("@example.it")
    r = await shop.api.get(f"/api/staff/orders?number={order['number']}", headers=shop.staff)
    assert [o["id"] for o in r.json()["items"]] == [order["id"]]
    r = await shop.api.get(f"/api/staff/orders?status=paid&customer_id={me.id}",
                           headers=shop.staff)
    assert r.json()["items"] == []

    bad = await shop.api.get("/api/staff/orders?status=spedito", headers=shop.staff)
    assert bad.status_code == 422 and "status" in problem_fields(bad.json())
    for body in [{"status": "paid"}, {"status": "spedito"}, {}, {"status": "completed",
                                                                 "note": "x" * 2001}]:
        r = await shop.api.post(f"/api/staff/orders/{order['id']}/status", json=body,
                                headers=shop.staff)
        assert r.status_code == 422, body
        assert set(problem_fields(r.json())) <= {"status", "note"}
    r = await shop.api.post(f"/api/staff/orders/{order['id']}/status", content=b"{not json",
                            headers={**shop.staff, "Content-Type": "application/json"})
    assert r.status_code == 422
    assert (await shop.order(me, order["id"])).json()["status"] == "awaiting_payment"
    detail = await shop.api.get(f"/api/staff/orders/{order['id']}", headers=shop.staff)
    assert detail.json()["customer_id"] == str(me.id)


async def test_pay_refuses_a_return_url_outside_the_shop(shop):
    me = shop.customer()
    order = await shop.place(me)
    r = await shop.api.post(f"/api/orders/{order['id']}/pay", headers=me.headers,
                            json={"return_url": "https://evil.example/phish"})
    assert r.status_code == 422 and "return_url" in problem_fields(r.json())
    ok = await shop.api.post(f"/api/orders/{order['id']}/pay", headers=me.headers,
                             json={"return_url": shop.settings.storefront_url + "/grazie"})
    assert ok.status_code == 200
    page = await shop.browser.post(ok.json()["redirect_url"], data={
        "card_number": SUCCEEDS, "expiry": "12/34", "cvc": "123", "holder": "Mario Rossi"})
    assert page.headers["location"].startswith(shop.settings.storefront_url + "/grazie?")
    assert session_id_of(page).startswith("cs_sbx_")


async def test_an_order_shows_the_invoices_issued_for_it_once_each(shop):
    from datetime import UTC, datetime

    from sportello.contracts.events import Contact, InvoiceIssued

    me = shop.customer()
    placed = await shop.place(me)
    order_id = placed["id"]
    issued = InvoiceIssued(invoice_id=uuid.uuid4(), order_id=order_id, order_number=placed["number"],
                           number="FT-2026-000123", kind="TD01", issued_at=datetime.now(UTC),
                           customer=Contact(account_id=me.id, email="x@example.it",
                                            first_name="Mario", last_name="Rossi"),
                           total_cents=41_121)
    event = await publish_event(shop.settings, "invoice.issued", issued, producer="invoicing")
    await publish_event(shop.settings, "invoice.issued", issued, producer="invoicing",
                        event_id=event.id)
    await publish_event(shop.settings, "invoice.issued", issued, producer="invoicing")
    order = await shop.order_when(me, order_id, lambda o: o["invoices"])
    assert [(i["number"], i["type"], i["status"]) for i in order["invoices"]] == [
        ("FT-2026-000123", "TD01", "issued")]
    # An invoice of an order this service does not know changes nothing and blocks nothing.
    stray = issued.model_copy(update={"invoice_id": uuid.uuid4(), "order_id": uuid.uuid4()})
    await publish_event(shop.settings, "invoice.issued", stray, producer="invoicing")
    note = issued.model_copy(update={"invoice_id": uuid.uuid4(), "number": "FT-2026-000124",
                                     "kind": "TD04", "issued_at": datetime.now(UTC)})
    await publish_event(shop.settings, "invoice.issued", note, producer="invoicing")
    order = await shop.order_when(me, order_id, lambda o: len(o["invoices"]) == 2)
    assert [i["type"] for i in order["invoices"]] == ["TD01", "TD04"]


async def test_an_order_invoice_shows_what_sdi_answered(shop):
    from datetime import UTC, datetime

    from sportello.contracts.events import Contact, InvoiceIssued, InvoiceSdiOutcome

    me = shop.customer()
    placed = await shop.place(me)
    who = Contact(account_id=me.id, email="x@example.it", first_name="Mario", last_name="Rossi")
    issued = InvoiceIssued(invoice_id=uuid.uuid4(), order_id=placed["id"],
                           order_number=placed["number"], number="FT-2026-000321", kind="TD01",
                           issued_at=datetime.now(UTC), customer=who, total_cents=41_121)
    await publish_event(shop.settings, "invoice.issued", issued, producer="invoicing")
    await shop.order_when(me, placed["id"], lambda o: o["invoices"])
    outcome = InvoiceSdiOutcome(invoice_id=issued.invoice_id, order_id=placed["id"],
                                order_number=placed["number"], number=issued.number, kind="TD01",
                                status="rejected", at=datetime.now(UTC), customer=who)
    await publish_event(shop.settings, "invoice.rejected", outcome, producer="invoicing")
    await shop.order_when(me, placed["id"], lambda o: o["invoices"][0]["status"] == "rejected")
    delivered = outcome.model_copy(update={"status": "delivered"})
    await publish_event(shop.settings, "invoice.delivered", delivered, producer="invoicing")
    await shop.order_when(me, placed["id"], lambda o: o["invoices"][0]["status"] == "delivered")
