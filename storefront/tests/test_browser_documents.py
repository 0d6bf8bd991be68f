"""Issue 20 in Debian's Chromium: the documents of a service form uploaded on its page (with a
progress bar, then named with their size), carried into the order, and a file staff delivered
downloaded from I MIEI ORDINI under "Documenti"."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from playwright.async_api import Page, expect

from .shop_steps import StaffApi, accept_terms, open_service, register, reload_until, shot, starts
from .test_browser import checkout_to_payment


def scan(tmp_path: Path, name: str, size: int = 300_000) -> Path:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(size))
    return path


async def test_documents_are_uploaded_on_the_service_page_and_delivered_in_i_miei_ordini(
        page: Page, system, tmp_path):
    await register(page)
    await open_service(page, "Consulenza fiscale", "Dichiarazione dei redditi")
    await page.get_by_label(starts("Modello 730")).check()
    field = page.get_by_label(starts("Ricevute e documenti"))
    await field.set_input_files([scan(tmp_path, "CU-2026.pdf"), scan(tmp_path, "mutuo.pdf", 50_000)])
    files = page.locator("ul.files li")
    await expect(files).to_have_count(2)
    await expect(files.nth(0)).to_have_text(re.compile(r"CU-2026\.pdf \(29\d KB\)"))
    await expect(page.locator("ul.files input[type=hidden]")).to_have_count(2)
    await shot(page, "documenti-01-caricati")
    # A wrong type is refused next to the field, in Italian, and the uploaded ones stay.
    fake = tmp_path / "fattura.pdf"
    fake.write_bytes(b"MZ\x90\x00" + os.urandom(3000))
    await field.set_input_files([fake])
    await expect(files.nth(2)).to_contain_text("Tipo di file non accettato")
    await page.get_by_role("button", name="Aggiungi al carrello").click()
    await expect(page).to_have_url(re.compile(r"/carrello$"))
    await expect(page.locator("main")).to_contain_text("CU-2026.pdf")

    await checkout_to_payment(page)
    await page.get_by_label(starts("Bonifico bancario")).check()
    await accept_terms(page)
    await page.get_by_role("button", name="COMPLETA L'ACQUISTO").click()
    await expect(page.get_by_role("heading", name="Ordine ricevuto")).to_be_visible()
    order_id = re.search(r"/ordini/([0-9a-f-]{36})/esito", page.url).group(1)

    await page.goto(f"/account/ordini/{order_id}")
    await reload_until(page, "Inviati da te")
    documents = page.locator("section", has=page.get_by_role("heading", name="Documenti"))
    await expect(documents.get_by_role("link", name="CU-2026.pdf")).to_be_visible()

    delivered = b"%PDF-1.7\n" + os.urandom(40_000)
    await StaffApi(system).deliver(order_id, "ricevuta-730.pdf", delivered,
                                   "La ricevuta di invio all'Agenzia delle Entrate.")
    # The history line comes from orders, the file from documents: each in its own time.
    await reload_until(page, "Documento consegnato: ricevuta-730.pdf")
    await reload_until(page, "Consegnati da noi")
    await shot(page, "documenti-02-consegnati")
    async with page.expect_download() as info:
        await documents.get_by_role("link", name="ricevuta-730.pdf").click()
    download = await info.value
    assert download.suggested_filename == "ricevuta-730.pdf"
    saved = await download.path()
    assert await asyncio.to_thread(Path(saved).read_bytes) == delivered
