"""The invoice through SDI, the sandbox as a real process: issued → sent → delivered (RC); a
rejection (NS) is announced with its error code, staff resend it (same number, a new file) and it
is delivered; receipts must be signed and are applied once."""

from __future__ import annotations

import json
import random
import string

import httpx
from sportello.signing import SDI_HEADER, sign
from sportello.testing import EventTap, wait_for

from .conftest import privato


def surname() -> str:
    return "Verdi" + "".join(random.choices(string.ascii_lowercase, k=8))


async def plan(settings, buyer: str, *outcomes: str) -> None:
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{settings.sdi_sandbox_url}/v1/outcomes",
                            json={"buyer": buyer, "outcomes": list(outcomes)})
        assert r.status_code == 204, r.text


async def reaches(client, staff, invoice_id: str, status: str) -> dict:
    async def reached():
        body = (await client.get(f"/api/staff/invoices/{invoice_id}", headers=staff)).json()
        return body if body["status"] == status else None
    return await wait_for(reached, timeout=15, message=f"invoice {invoice_id} {status}")


def buyer_named(orders, name: str):
    order = orders.paid()
    billing = privato(order.customer.email).model_copy(update={"last_name": name})
    return order.model_copy(update={"billing": billing})


async def test_an_invoice_is_sent_to_sdi_and_delivered(client, orders):
    order = orders.paid()
    async with EventTap(orders.settings, "invoice.delivered") as tap:
        await orders.publish_paid(order)
        [invoice] = await orders.wait_invoices(order)
        delivered = await reaches(client, orders.staff, invoice["id"], "delivered")
        [event] = await tap.wait_for("invoice.delivered",
                                     where=lambda d: d["invoice_id"] == invoice["id"])
    assert delivered["sdi_attempts"] == 1 and event.data["number"] == invoice["number"]


async def test_a_rejected_invoice_is_announced_resent_by_staff_and_delivered(client, orders):
    name = surname()
    await plan(orders.settings, name, "NS", "RC")
    order = buyer_named(orders, name)
    async with EventTap(orders.settings, "invoice.rejected", "invoice.delivered") as tap:
        await orders.publish_paid(order)
        [invoice] = await orders.wait_invoices(order)
        rejected = await reaches(client, orders.staff, invoice["id"], "rejected")
        [event] = await tap.wait_for("invoice.rejected",
                                     where=lambda d: d["invoice_id"] == invoice["id"])
        assert event.data["errors"][0]["code"] == "00305"
        assert rejected["sdi_errors"][0]["code"] == "00305"

        # Only staff resend, and only what SDI rejected.
        path = f"/api/staff/invoices/{invoice['id']}/resend"
        assert (await client.post(path, headers=orders.customer(order))).status_code == 403
        r = await client.post(path, headers=orders.staff)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "sent" and r.json()["number"] == invoice["number"]
        delivered = await reaches(client, orders.staff, invoice["id"], "delivered")
        await tap.wait_for("invoice.delivered", where=lambda d: d["invoice_id"] == invoice["id"])
    assert delivered["sdi_attempts"] == 2
    # The resent file has a file name of its own (SDI refuses a duplicate name).
    r = await client.get(f"/api/staff/invoices/{invoice['id']}/xml", headers=orders.staff)
    assert r.headers["content-disposition"].endswith('02.xml"')
    again = await client.post(f"/api/staff/invoices/{invoice['id']}/resend", headers=orders.staff)
    assert again.status_code == 409 and "consegnata" in again.json()["detail"]


async def test_a_not_delivered_invoice_stays_issued_for_the_law(client, orders):
    name = surname()
    await plan(orders.settings, name, "MC")
    order = buyer_named(orders, name)
    await orders.publish_paid(order)
    [invoice] = await orders.wait_invoices(order)
    await reaches(client, orders.staff, invoice["id"], "not_delivered")
    r = await client.post(f"/api/staff/invoices/{invoice['id']}/resend", headers=orders.staff)
    assert r.status_code == 409


async def test_an_unsigned_or_forged_receipt_is_refused(client, orders):
    body = json.dumps({"sdi_id": "x", "file_name": "f.xml", "type": "RC",
                       "at": "2026-01-01T00:00:00+00:00"}).encode()
    r = await client.post("/api/invoices/sdi/receipts", content=body)
    assert r.status_code == 401
    r = await client.post("/api/invoices/sdi/receipts", content=body,
                          headers={SDI_HEADER: sign("not-the-secret", body)})
    assert r.status_code == 401
    # Signed but about no invoice of ours: accepted and ignored.
    r = await client.post("/api/invoices/sdi/receipts", content=body,
                          headers={SDI_HEADER: sign(orders.settings.sdi_sandbox_secret, body)})
    assert r.status_code == 200
