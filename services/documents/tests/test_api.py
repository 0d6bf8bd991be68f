"""Upload, download and the files of a quote through the documents app: real PostgreSQL,
RabbitMQ and the store on disk."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from pathlib import Path

from documents_testkit import now, pdf, request_quote, upload
from sportello.contracts.documents import owner_of, verify_receipt
from sportello.testing import EventTap, wait_for

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 4000


def store_files(settings) -> set[str]:
    root = Path(settings.data_dir) / "documents"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


async def test_an_upload_is_typed_from_its_bytes_and_its_receipt_names_its_owner(
        client, customer, documents_settings_):
    body = pdf()
    r = await upload(client, customer.headers, body, name="../../etc/Passaporto Maria.pdf")
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["name"] == "Passaporto Maria.pdf"
    assert doc["content_type"] == "application/pdf" and doc["size_bytes"] == len(body)
    assert doc["sha256"] == hashlib.sha256(body).hexdigest()
    ref = verify_receipt(documents_settings_.documents_secret, doc["receipt"],
                         owner_of(customer.id, None))
    assert str(ref.id) == doc["id"] and ref.sha256 == doc["sha256"]

    got = await client.get(f"/api/documents/{doc['id']}", headers=customer.headers)
    assert got.status_code == 200 and got.content == body
    assert got.headers["content-disposition"].startswith('attachment; filename="Passaporto Maria.pdf"')
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-type"] == "application/pdf"


async def test_an_exe_named_pdf_is_415_and_nothing_is_stored(client, customer, documents_settings_):
    before = store_files(documents_settings_)
    r = await upload(client, customer.headers, EXE, name="fattura.pdf")
    assert r.status_code == 415
    assert "Tipo di file non accettato" in r.json()["detail"]
    assert store_files(documents_settings_) == before


async def test_a_file_over_the_limit_is_413_and_nothing_is_stored(client, customer,
                                                                 documents_settings_):
    before = store_files(documents_settings_)
    r = await upload(client, customer.headers, pdf(1_048_576 + 10))
    assert r.status_code == 413
    assert "1 MB" in r.json()["detail"]
    assert store_files(documents_settings_) == before


async def test_an_empty_file_names_the_field(client, customer):
    r = await upload(client, customer.headers, b"")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "file"


async def test_nobody_else_can_download_a_file_not_even_knowing_its_id(client, customer, other,
                                                                       staff):
    doc = (await upload(client, customer.headers, pdf())).json()
    assert (await client.get(f"/api/documents/{doc['id']}", headers=other.headers)).status_code == 404
    anonymous = await client.get(f"/api/documents/{doc['id']}", headers={"X-Cart-Token": "x" * 40})
    assert anonymous.status_code == 404
    assert (await client.get(f"/api/documents/{uuid.uuid4()}", headers=staff)).status_code == 404
    assert (await client.get(f"/api/documents/{doc['id']}", headers=staff)).status_code == 200


async def test_an_anonymous_visitor_uploads_with_its_cart_token_and_only_it_reads_it(client):
    token = uuid.uuid4().hex * 2
    r = await upload(client, {"X-Cart-Token": token}, pdf())
    assert r.status_code == 201
    doc = r.json()
    assert (await client.get(f"/api/documents/{doc['id']}",
                             headers={"X-Cart-Token": token})).status_code == 200
    assert (await client.get(f"/api/documents/{doc['id']}",
                             headers={"X-Cart-Token": token + "x"})).status_code == 404
    assert (await client.post("/api/documents", files={"file": ("a.pdf", pdf())})).status_code == 401


async def test_one_uploader_holds_a_bounded_number_of_drafts(client, customer):
    for _ in range(5):
        assert (await upload(client, customer.headers, pdf(100))).status_code == 201
    r = await upload(client, customer.headers, pdf(100))
    assert r.status_code == 429 and "Retry-After" in r.headers


async def test_a_requested_quote_takes_its_files_and_staff_deliver_one_back(
        client, customer, other, staff, documents_settings_):
    body = pdf()
    doc = (await upload(client, customer.headers, body)).json()
    ref = {k: doc[k] for k in ("id", "name", "content_type", "size_bytes", "sha256")}
    quote_id = await request_quote(documents_settings_, customer, [ref])

    async def attached():
        r = await client.get(f"/api/quotes/{quote_id}/documents", headers=customer.headers)
        return r.json()["items"] if r.status_code == 200 and r.json()["items"] else None
    [listed] = await wait_for(attached, message="the quote's files")
    assert listed["id"] == doc["id"] and listed["kind"] == "customer"
    assert (await client.get(f"/api/quotes/{quote_id}/documents",
                             headers=other.headers)).status_code == 404
    staff_list = await client.get(f"/api/staff/quotes/{quote_id}/documents", headers=staff)
    assert [d["id"] for d in staff_list.json()["items"]] == [doc["id"]]

    async with EventTap(documents_settings_, "document.delivered") as tap:
        r = await client.post(f"/api/staff/quotes/{quote_id}/documents", headers=staff,
                              files={"file": ("stima.pdf", pdf(), "application/pdf")},
                              data={"note": "La nostra stima dei tempi"})
        assert r.status_code == 201, r.text
        delivered = r.json()
        [event] = await tap.wait_for("document.delivered")
    assert event.data["quote_id"] == str(quote_id) and event.data["name"] == "stima.pdf"
    assert event.data["customer"]["email"] == customer.contact.email
    got = await client.get(delivered["href"], headers=customer.headers)
    assert got.status_code == 200
    assert (await client.get(delivered["href"], headers=other.headers)).status_code == 404


async def test_staff_cannot_deliver_to_an_order_this_service_never_saw(client, staff):
    r = await client.post(f"/api/staff/orders/{uuid.uuid4()}/documents", headers=staff,
                          files={"file": ("esito.pdf", pdf(), "application/pdf")})
    assert r.status_code == 404 and r.json()["detail"] == "Ordine non trovato."


async def test_a_customer_cannot_deliver(client, customer):
    r = await client.post(f"/api/staff/orders/{uuid.uuid4()}/documents", headers=customer.headers,
                          files={"file": ("esito.pdf", pdf(), "application/pdf")})
    assert r.status_code == 403


async def test_old_drafts_are_purged_and_their_unshared_blobs_collected(client, documents_settings_):
    from sportello_documents import actions
    from sportello_documents.store import Blobs

    token = uuid.uuid4().hex
    doc = (await upload(client, {"X-Cart-Token": token}, pdf())).json()
    blob = f"blobs/{doc['sha256'][:2]}/{doc['sha256']}"
    assert blob in store_files(documents_settings_)
    later = now() + timedelta(days=8)
    async with client.app.state.sessionmaker() as session, session.begin():
        assert await actions.purge_drafts(session, documents_settings_, later) >= 1
        await actions.collect_orphans(session, Blobs(documents_settings_), documents_settings_,
                                      later)
    assert (await client.get(f"/api/documents/{doc['id']}",
                             headers={"X-Cart-Token": token})).status_code == 404
    assert blob not in store_files(documents_settings_)


async def test_a_delivery_reads_its_note_wherever_it_is_in_the_body_and_bounds_it(
        client, customer, staff, documents_settings_):
    doc = (await upload(client, customer.headers, pdf())).json()
    ref = {k: doc[k] for k in ("id", "name", "content_type", "size_bytes", "sha256")}
    quote_id = await request_quote(documents_settings_, customer, [ref])

    async def known():
        r = await client.get(f"/api/staff/quotes/{quote_id}/documents", headers=staff)
        return r.status_code == 200 or None
    await wait_for(known, message="the quote known to documents")
    boundary = "sportello-test"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"esito.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode() + pdf(500) + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
        f"Nota dopo il file\r\n--{boundary}--\r\n").encode()
    r = await client.post(f"/api/staff/quotes/{quote_id}/documents", content=body, headers={
        **staff, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 201, r.text
    assert r.json()["note"] == "Nota dopo il file"
    long = await client.post(f"/api/staff/quotes/{quote_id}/documents", headers=staff,
                             files={"file": ("a.pdf", pdf(100), "application/pdf")},
                             data={"note": "x" * 2001})
    assert long.status_code == 422 and long.json()["errors"][0]["field"] == "note"


async def test_a_body_that_is_not_multipart_or_has_no_file_is_a_clear_4xx(client, customer):
    r = await client.post("/api/documents", headers={**customer.headers,
                                                     "Content-Type": "application/json"},
                          content=b"{}")
    assert r.status_code == 400 and "multipart" in r.json()["detail"]
    r = await client.post("/api/documents", headers=customer.headers, data={"x": "1"},
                          files={"altro": ("a.pdf", pdf(100), "application/pdf")})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"
    r = await client.post("/api/documents", headers={
        **customer.headers, "Content-Type": "multipart/form-data; boundary=zz"},
        content=b"--zz\r\nnonsense without headers end")
    assert r.status_code in (400, 422)


async def test_a_quote_message_takes_only_the_files_its_author_uploaded(
        client, customer, other, documents_settings_):
    from sportello.contracts.events import QuoteMessagePosted
    from sportello.testing import publish_event

    quote_id = await request_quote(documents_settings_, customer, [])
    mine = (await upload(client, customer.headers, pdf(), name="planimetria.pdf")).json()
    theirs = (await upload(client, other.headers, pdf(), name="altrui.pdf")).json()
    await publish_event(documents_settings_, "quote.message_posted", QuoteMessagePosted(
        quote_id=quote_id, number="PR-2026-000001", customer=customer.contact,
        message_id=uuid.uuid4(), author="customer", author_id=customer.id,
        body="Ecco la planimetria", document_ids=[uuid.UUID(mine["id"]), uuid.UUID(theirs["id"])]),
        producer="quotes")

    async def attached():
        r = await client.get(f"/api/quotes/{quote_id}/documents", headers=customer.headers)
        return r.json()["items"] if r.status_code == 200 and r.json()["items"] else None
    items = await wait_for(attached, message="the message's file on the quote")
    assert [d["name"] for d in items] == ["planimetria.pdf"]
    # The other customer's file stays theirs alone.
    assert (await client.get(f"/api/documents/{theirs['id']}",
                             headers=customer.headers)).status_code == 404
