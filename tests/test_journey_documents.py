"""Issue 20 through the gateway: a file uploaded for a form travels with its cart line into the
order, where staff download the same bytes; staff deliver a file the customer is emailed about and
downloads; nobody else reads either; an erased account's drafts go, an order's files stay."""

from __future__ import annotations

import hashlib
import os

from journeys_kit import DICHIARAZIONE, PASSWORD, add_line, checkout, login, register, wait_json
from sportello.testing import wait_for

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 4000


def pdf(size: int = 200_000) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(size)


async def upload(api, headers, body: bytes, name: str = "cu-2026.pdf", ctype="application/pdf"):
    return await api.post("/api/documents", headers=headers, files={"file": (name, body, ctype)})


async def order_documents(api, order_id: str, headers: dict) -> list[dict]:
    body = await wait_json(api, f"/api/orders/{order_id}/documents", headers,
                           lambda b: bool(b["items"]))
    return body["items"]


async def test_an_uploaded_file_reaches_the_order_and_staff_download_the_same_bytes(api, staff):
    customer, other = await register(api), await register(api)
    body = pdf()
    r = await upload(api, customer.headers, body)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["sha256"] == hashlib.sha256(body).hexdigest() and doc["size_bytes"] == len(body)
    await add_line(api, customer.headers, DICHIARAZIONE,
                   {"modello": "730", "documenti": [{"receipt": doc["receipt"]}]})
    order_id = await checkout(api, customer, method="bank_transfer")
    [listed] = await order_documents(api, order_id, customer.headers)
    assert listed["id"] == doc["id"] and listed["name"] == "cu-2026.pdf"

    staff_list = await api.get(f"/api/staff/orders/{order_id}/documents", headers=staff)
    assert [d["id"] for d in staff_list.json()["items"]] == [doc["id"]]
    got = await api.get(f"/api/documents/{doc['id']}", headers=staff)
    assert got.status_code == 200 and got.content == body
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"

    assert (await api.get(f"/api/documents/{doc['id']}", headers=other.headers)).status_code == 404
    assert (await api.get(f"/api/orders/{order_id}/documents",
                          headers=other.headers)).status_code == 404


async def test_the_type_comes_from_the_bytes_and_the_size_limit_holds_at_the_gateway(api):
    customer = await register(api)
    renamed = await upload(api, customer.headers, EXE, name="fattura.pdf")
    assert renamed.status_code == 415
    assert "Tipo di file non accettato" in renamed.json()["detail"]
    big = await upload(api, customer.headers, pdf(26 * 1_048_576))
    assert big.status_code == 413
    # A forged receipt is refused by the cart, naming the field.
    r = await api.post("/api/cart/items", headers=customer.headers, json={
        "service_slug": DICHIARAZIONE,
        "answers": {"modello": "730", "documenti": [{"receipt": "eyJhbGciOiJIUzI1NiJ9.e30.x"}]}})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"answers.documenti"}


async def test_an_anonymous_upload_survives_login_into_the_order(api):
    customer = await register(api)
    token = (await api.post("/api/cart/session")).json()["cart_token"]
    visitor = {"X-Cart-Token": token}
    doc = (await upload(api, visitor, pdf(), name="spese-mediche.pdf")).json()
    await add_line(api, visitor, DICHIARAZIONE,
                   {"modello": "730", "documenti": [{"receipt": doc["receipt"]}]})
    tokens = await login(api, customer.email, PASSWORD)
    me = {"Authorization": f"Bearer {tokens['access_token']}"}
    merged = await api.post("/api/cart/merge", headers={**me, **visitor})
    assert merged.status_code == 200, merged.text
    order_id = await checkout(api, customer, method="bank_transfer")
    [listed] = await order_documents(api, order_id, customer.headers)
    assert listed["id"] == doc["id"]
    assert (await api.get(f"/api/documents/{doc['id']}", headers=me)).status_code == 200


async def test_a_deliverable_is_emailed_shown_in_the_history_and_downloaded(api, staff, sink):
    customer = await register(api)
    await add_line(api, customer.headers, DICHIARAZIONE, {"modello": "730"})
    order_id = await checkout(api, customer, method="bank_transfer")
    receipt = pdf(50_000)

    async def delivered():
        r = await api.post(f"/api/staff/orders/{order_id}/documents", headers=staff,
                           files={"file": ("ricevuta-invio-730.pdf", receipt, "application/pdf")},
                           data={"note": "La ricevuta dell'Agenzia delle Entrate."})
        return r if r.status_code == 201 else None     # 404 until documents saw the order
    r = await wait_for(delivered, timeout=20, interval=0.2, message="the order known to documents")
    [mail] = await sink.wait(customer.email, "Il tuo servizio è pronto")
    assert f"/account/ordini/{order_id}" in mail["text"]
    got = await api.get(r.json()["href"], headers=customer.headers)
    assert got.status_code == 200 and got.content == receipt
    order = await wait_json(api, f"/api/orders/{order_id}", customer.headers, lambda o: any(
        "ricevuta-invio-730.pdf" in (h.get("note") or "") for h in o["status_history"]))
    assert order["status"] == "awaiting_payment"


async def test_an_erased_account_loses_its_drafts_but_an_order_keeps_its_files(api, staff):
    customer = await register(api)
    kept = (await upload(api, customer.headers, pdf(), name="con-ordine.pdf")).json()
    draft = (await upload(api, customer.headers, pdf(), name="bozza.pdf")).json()
    await add_line(api, customer.headers, DICHIARAZIONE,
                   {"modello": "730", "documenti": [{"receipt": kept["receipt"]}]})
    order_id = await checkout(api, customer, method="bank_transfer")
    await order_documents(api, order_id, customer.headers)
    gone = await api.request("DELETE", "/api/accounts/me", headers=customer.headers,
                             json={"password": PASSWORD})
    assert gone.status_code == 204

    async def draft_erased():
        r = await api.get(f"/api/documents/{draft['id']}", headers=staff)
        return r.status_code == 404 or None
    await wait_for(draft_erased, timeout=20, interval=0.2, message="the draft erased")
    assert (await api.get(f"/api/documents/{kept['id']}", headers=staff)).status_code == 200
