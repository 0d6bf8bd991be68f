"""A deliverable in Debian's Chromium, end to end: staff upload it to a customer's order in the
back office (an empty form first: the error is next to the field) and the customer downloads
the same bytes in the shop, I MIEI ORDINI → "Documenti"."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from playwright.async_api import expect

from .browser_steps import log_in, reload_until, shot
from .conftest import CUSTOMER_PASSWORD, bank_transfer_order, documents_know, register

expect.set_options(timeout=15_000)


async def test_staff_deliver_a_file_in_the_back_office_and_the_customer_downloads_it(
        new_page, api, system, tmp_path):
    customer = await register(api)
    order = await bank_transfer_order(api, customer)
    await documents_know(api, system, "orders", order["id"])
    delivered = b"%PDF-1.7\n" + os.urandom(60_000)
    file = tmp_path / "sito-vetrina-consegna.pdf"
    file.write_bytes(delivered)

    staff = await new_page(system.settings.backoffice_url)
    await log_in(staff, system.staff_email, system.staff_password)
    await staff.goto(f"/ordini/{order['id']}")
    documents = staff.locator("section", has=staff.get_by_role("heading", name="Documenti"))
    await documents.get_by_role("button", name="Consegna il documento").click()
    field = staff.get_by_label(re.compile("^File da consegnare"))
    await expect(staff.get_by_text("Scegli il file da consegnare.")).to_be_visible()
    await expect(field).to_have_attribute("aria-invalid", "true")
    await field.set_input_files(str(file))
    await staff.get_by_label(re.compile("^Nota sul documento")).fill("Il sito pronto da pubblicare.")
    await staff.get_by_role("button", name="Consegna il documento").click()
    await expect(staff.get_by_text(re.compile("Documento «sito-vetrina-consegna.pdf» consegnato"))
                 ).to_be_visible()
    await expect(documents.get_by_role("link", name="sito-vetrina-consegna.pdf")).to_be_visible()
    await shot(staff, "bo-06-documento-consegnato")

    shop = await new_page(system.settings.storefront_url)
    await log_in(shop, customer.email, CUSTOMER_PASSWORD)
    await shop.goto("/account/ordini")
    await shop.get_by_role("link", name=re.compile(order["number"])).first.click()
    await reload_until(shop, "Consegnati da noi")
    mine = shop.locator("section", has=shop.get_by_role("heading", name="Documenti"))
    await expect(mine.get_by_text("Il sito pronto da pubblicare.")).to_be_visible()
    await shot(shop, "bo-07-cliente-scarica-il-documento")
    async with shop.expect_download() as info:
        await mine.get_by_role("link", name="sito-vetrina-consegna.pdf").click()
    download = await info.value
    assert download.suggested_filename == "sito-vetrina-consegna.pdf"
    saved = await download.path()
    assert await asyncio.to_thread(Path(saved).read_bytes) == delivered
