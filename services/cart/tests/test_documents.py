"""A form's file answer: the cart takes only what documents' receipt vouches for (signed with
the installation's secret, for this uploader, unexpired), offline, and keeps the file on the line
through a correction, a login and the checkout."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from sportello.contracts.documents import DocumentRef, issue_receipt, owner_of
from sportello.testing import EventTap, problem_fields

from .conftest import Customer, publish, snapshot
from .test_api import anonymous
from .test_checkout import CHECKOUT

FILE_FIELD = {"name": "documento", "label": "Documento da tradurre", "type": "file",
              "required": True, "accept": ["application/pdf"], "max_files": 2, "max_size_mb": 10}


def uploaded(name: str = "atto.pdf", size: int = 2048, content_type: str = "application/pdf"):
    return DocumentRef(id=uuid.uuid4(), name=name, content_type=content_type, size_bytes=size,
                       sha256=hashlib.sha256(name.encode()).hexdigest())


def receipt(settings, doc: DocumentRef, owner: str, **kw) -> str:
    return issue_receipt(settings.documents_secret, doc, owner, **kw)


async def file_service(settings, client):
    return await publish(settings, client, snapshot(fields=[FILE_FIELD]))


async def add(client, headers, slug, answer):
    return await client.post("/api/cart/items", headers=headers,
                             json={"service_slug": slug, "answers": {"documento": answer}})


async def test_a_line_takes_the_files_its_receipts_vouch_for(settings, client, customer):
    s = await file_service(settings, client)
    doc = uploaded()
    r = await add(client, customer.headers, s.slug,
                  [{"receipt": receipt(settings, doc, owner_of(customer.id, None))}])
    assert r.status_code == 201, r.text
    assert r.json()["answers"]["documento"] == [doc.model_dump(mode="json")]


async def test_forged_expired_foreign_or_unfitting_receipts_are_refused(settings, client, customer):
    s = await file_service(settings, client)
    me = owner_of(customer.id, None)
    doc = uploaded()
    forged = issue_receipt("a-secret-that-is-not-this-installations-one", doc, me)
    expired = receipt(settings, doc, me, now=datetime.now(UTC) - timedelta(days=8))
    foreign = receipt(settings, doc, owner_of(uuid.uuid4(), None))
    too_big = receipt(settings, uploaded(size=11 * 1024 * 1024), me)
    wrong_type = receipt(settings, uploaded(content_type="image/png"), me)
    claimed = doc.model_dump(mode="json")       # a ref with no receipt: anyone can type one
    cases = {
        forged: "Ricevuta del documento non valida: caricalo di nuovo.",
        expired: "Il documento caricato è scaduto: caricalo di nuovo.",
        foreign: "Documento non trovato.",
        too_big: "Il file «atto.pdf» supera 10 MB.",
        wrong_type: "Il file «atto.pdf» non è di un tipo accettato.",
    }
    for token, message in cases.items():
        r = await add(client, customer.headers, s.slug, [{"receipt": token}])
        assert r.status_code == 422, r.text
        assert problem_fields(r.json()) == {"answers.documento": message}
    r = await add(client, customer.headers, s.slug, [claimed])
    assert problem_fields(r.json()) == {
        "answers.documento": "Manca la ricevuta del file: caricalo di nuovo."}
    assert (await client.get("/api/cart", headers=customer.headers)).json()["lines"] == []


async def test_an_anonymous_upload_survives_login_and_travels_in_the_checkout(settings, client):
    s = await file_service(settings, client)
    visitor = await anonymous(client)
    doc = uploaded()
    token = visitor["X-Cart-Token"]
    r = await add(client, visitor, s.slug, [receipt(settings, doc, owner_of(None, token))])
    assert r.status_code == 201, r.text
    me = Customer(settings, email=f"c{uuid.uuid4().hex[:6]}@example.it")
    merged = await client.post("/api/cart/merge", headers={**me.headers, **visitor})
    assert merged.status_code == 200
    [line] = merged.json()["lines"]
    # Corrected after login: the file it holds stays without a new upload.
    fixed = await client.patch(f"/api/cart/items/{line['id']}", headers=me.headers,
                               json={"answers": {"documento": line["answers"]["documento"]},
                                     "quantity": 2})
    assert fixed.status_code == 200, fixed.text
    async with EventTap(settings, "cart.checked_out") as tap:
        r = await client.post("/api/cart/checkout", headers=me.with_key("doc-1"), json=CHECKOUT)
        assert r.status_code == 202, r.text
        [event] = await tap.wait_for("cart.checked_out",
                                     where=lambda d: d["order_id"] == r.json()["order_id"])
    [sold] = event.data["lines"]
    assert sold["answers"]["documento"] == [doc.model_dump(mode="json")]


async def test_a_correction_cannot_swap_in_a_file_the_line_never_held(settings, client, customer):
    s = await file_service(settings, client)
    doc = uploaded()
    line = (await add(client, customer.headers, s.slug,
                      [receipt(settings, doc, owner_of(customer.id, None))])).json()
    other = uploaded("altro.pdf").model_dump(mode="json")
    r = await client.patch(f"/api/cart/items/{line['id']}", headers=customer.headers,
                           json={"answers": {"documento": [other]}})
    assert r.status_code == 422
    assert problem_fields(r.json()) == {
        "answers.documento": "Manca la ricevuta del file: caricalo di nuovo."}
