"""A service form's files without JavaScript: sent with the form, uploaded by the storefront,
carried into the cart line; a refused file is named next to its field and the good ones stay."""

from __future__ import annotations

import os
import re

from sportello.testing.forms import csrf_of

SERVICE = "/servizio/dichiarazione-dei-redditi"
FIELD = "answers.documenti"


def pdf(size: int = 20_000) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(size)


async def post_with_files(shop, data: dict, files: list[tuple[str, tuple]]):
    html = (await shop.get(SERVICE)).text
    return await shop.post(SERVICE, data={**data, "csrf_token": csrf_of(html)}, files=files)


async def test_the_form_posts_its_files_and_the_cart_line_names_them(shop):
    r = await post_with_files(shop, {"answers.modello": "730"}, [
        (FIELD, ("cu.pdf", pdf(), "application/pdf")),
        (FIELD, ("730-precompilato.pdf", pdf(), "application/pdf"))])
    assert r.status_code == 303 and r.headers["location"] == "/carrello"
    cart = (await shop.get("/carrello")).text
    assert "cu.pdf" in cart and "730-precompilato.pdf" in cart


async def test_a_refused_file_is_named_by_its_field_and_the_accepted_one_is_kept(shop):
    r = await post_with_files(shop, {"answers.modello": "730"}, [
        (FIELD, ("cu.pdf", pdf(), "application/pdf")),
        (FIELD, ("fattura.pdf", b"MZ\x90\x00" + os.urandom(2000), "application/pdf"))])
    assert r.status_code == 422
    assert "Tipo di file non accettato" in r.text
    # The file that did upload is on the page again, its receipt in the form.
    assert "cu.pdf" in r.text
    [receipt] = re.findall(r'name="answers\.documenti\.receipt" value="([^"]+)"', r.text)
    again = await shop.post(SERVICE, data={"answers.modello": "730", f"{FIELD}.receipt": receipt,
                                           "csrf_token": csrf_of(r.text)})
    assert again.status_code == 303
    assert "cu.pdf" in (await shop.get("/carrello")).text


async def test_a_receipt_the_visitor_did_not_get_is_refused_by_the_cart(shop):
    html = (await shop.get(SERVICE)).text
    r = await shop.post(SERVICE, data={"answers.modello": "730", f"{FIELD}.receipt": "forged.x.y",
                                       "csrf_token": csrf_of(html)})
    assert r.status_code == 422
    assert "Ricevuta del documento non valida" in r.text


def test_a_form_posts_at_most_50_mb_of_files_at_once():
    from sportello_storefront.uploads import MB, max_body_bytes

    ten_big = {"form": {"fields": [{"type": "file", "max_files": 10, "max_size_mb": 20}]}}
    one_small = {"form": {"fields": [{"type": "file", "max_files": 1, "max_size_mb": 5}]}}
    assert max_body_bytes(ten_big) == 51 * MB
    assert max_body_bytes(one_small) == 6 * MB
    assert max_body_bytes({"form": {"fields": [{"type": "text"}]}}) == MB


async def test_a_message_to_staff_carries_its_files_onto_the_quote(shop, system):
    from sportello.testing import wait_for

    from .test_pages import _quoted

    quote_id, _ = await _quoted(shop, system, 100000)
    page_url = f"/account/preventivi/{quote_id}"
    html = (await shop.get(page_url)).text
    r = await shop.post(f"{page_url}/messaggi", data={"body": "Ecco il capitolato",
                                                      "csrf_token": csrf_of(html)},
                        files=[("allegati", ("capitolato.pdf", pdf(), "application/pdf"))])
    assert r.status_code == 303, r.text
    async def listed():
        text = (await shop.get(page_url)).text
        return text if "capitolato.pdf" in text else None
    page = await wait_for(listed, timeout=15, interval=0.2, message="the message's file listed")
    assert "Inviati da te" in page and "Ecco il capitolato" in page
    # A refused file names the field and sends no message.
    html = (await shop.get(page_url)).text
    r = await shop.post(f"{page_url}/messaggi", data={"body": "E questo eseguibile",
                                                      "csrf_token": csrf_of(html)},
                        files=[("allegati", ("setup.pdf", b"MZ\x90\x00" + os.urandom(900),
                                             "application/pdf"))])
    assert r.status_code == 422 and "Tipo di file non accettato" in r.text
    assert "E questo eseguibile" not in (await shop.get(page_url)).text.split("Conversazione")[1]
