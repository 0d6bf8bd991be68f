"""Documenti in the running back office: staff deliver a file with a note to an order (and to a
quote), a wrong file is refused next to the field in Italian, the file downloads as the same
bytes and the customer's own list has it."""

from __future__ import annotations

import os
import re
import uuid

from sportello.testing.forms import csrf_of

from .conftest import (
    bank_transfer_order,
    documents_know,
    register,
    request_quote,
    staff_login,
)

PDF = "application/pdf"


def _pdf(size: int = 20_000) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(size)


async def _deliver(office, page_path: str, name: str, content: bytes, note: str = "",
                   content_type: str = PDF):
    page = (await office.get(page_path)).text
    return await office.post(f"{page_path}/documenti",
                             data={"csrf_token": csrf_of(page), "doc_note": note},
                             files={"file": (name, content, content_type)})


def _field_error(page: str) -> str:
    match = re.search(r'<p class="field-error" id="errore-file" role="alert">([^<]+)</p>', page)
    assert match, "an error next to the file field"
    return match.group(1)


async def test_staff_deliver_a_file_to_an_order_and_the_customer_has_the_same_bytes(
        office, api, system):
    customer = await register(api)
    order = await bank_transfer_order(api, customer)
    await documents_know(api, system, "orders", order["id"])
    await staff_login(office, system)
    path = f"/ordini/{order['id']}"
    page = (await office.get(path)).text
    assert '<h2 id="documenti">Documenti</h2>' in page and "Nessun documento." in page
    assert '<label for="campo-file">File da consegnare' in page

    page = (await office.get(path)).text
    r = await office.post(f"{path}/documenti", data={"csrf_token": csrf_of(page), "doc_note": "x"})
    assert r.status_code == 422 and _field_error(r.text) == "Scegli il file da consegnare."
    assert 'aria-invalid="true"' in r.text and ">x</textarea>" in r.text  # the note stays
    r = await _deliver(office, path, "fattura.pdf", b"MZ\x90\x00" + os.urandom(3000))
    assert r.status_code == 415 and _field_error(r.text).startswith("Tipo di file non accettato")
    r = await _deliver(office, path, "lungo.pdf", _pdf(), note="n" * 2001)
    assert r.status_code == 422 and "La nota può avere al massimo 2000 caratteri." in r.text

    content = _pdf()
    r = await _deliver(office, path, "sito-consegnato.pdf", content, note="Il progetto finale.")
    assert r.status_code == 303 and r.headers["location"] == f"{path}#documenti"
    page = (await office.get(path)).text
    assert "Documento «sito-consegnato.pdf» consegnato: il cliente riceve un&#39;email" in page
    section = page[page.index('<h2 id="documenti">'):page.index("Consegna un documento")]
    assert "Consegnati dallo staff" in section and "Il progetto finale." in section
    doc_id = re.search(r'href="/documenti/([0-9a-f-]{36})" download>sito-consegnato.pdf<',
                       section).group(1)
    r = await office.get(f"/documenti/{doc_id}")
    assert r.status_code == 200 and r.content == content
    assert r.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in r.headers["content-security-policy"]

    mine = await api.get(f"/api/orders/{order['id']}/documents", headers=customer.headers)
    assert [(d["name"], d["note"]) for d in mine.json()["items"]] == [
        ("sito-consegnato.pdf", "Il progetto finale.")]


async def test_a_file_over_25_mb_is_refused_next_to_the_field(office, api, system):
    customer = await register(api)
    order = await bank_transfer_order(api, customer)
    await documents_know(api, system, "orders", order["id"])
    await staff_login(office, system)
    r = await _deliver(office, f"/ordini/{order['id']}", "enorme.pdf", _pdf(25 * 1_048_576))
    assert r.status_code == 413 and _field_error(r.text) == "Il file supera il limite di 25 MB."


async def test_staff_deliver_a_file_to_a_quote_and_see_it_with_the_request(office, api, system):
    customer = await register(api)
    quote = await request_quote(api, customer)
    await documents_know(api, system, "quotes", quote["id"])
    await staff_login(office, system)
    path = f"/preventivi/{quote['id']}"
    r = await _deliver(office, path, "bozza-del-sito.pdf", _pdf(), note="Una prima bozza.")
    assert r.status_code == 303
    page = (await office.get(path)).text
    assert re.search(r'href="/documenti/[0-9a-f-]{36}" download>bozza-del-sito.pdf<', page)
    assert "Una prima bozza." in page
    mine = await api.get(f"/api/quotes/{quote['id']}/documents", headers=customer.headers)
    assert [d["name"] for d in mine.json()["items"]] == ["bozza-del-sito.pdf"]
    for bad in ("/documenti/non-un-id", "/documenti/00000000-0000-0000-0000-000000000000"):
        r = await office.get(bad)
        assert r.status_code == 404 and "Pagina non trovata" in r.text, bad
    # A delivery to an order or quote that does not exist is the 404 page, never a 500.
    token = csrf_of(page)
    for bad in (f"/ordini/{uuid.uuid4()}", "/ordini/non-un-id", f"/preventivi/{uuid.uuid4()}"):
        r = await office.post(f"{bad}/documenti", data={"csrf_token": token},
                              files={"file": ("a.pdf", _pdf(100), PDF)})
        assert r.status_code == 404 and "Pagina non trovata" in r.text, bad
    r = await office.post(f"{path}/documenti", files={"file": ("a.pdf", _pdf(100), PDF)})
    assert r.status_code == 400 and "Modulo scaduto" in r.text
