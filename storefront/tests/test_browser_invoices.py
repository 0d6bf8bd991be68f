"""The invoice of a paid order, in the browser against the whole system: I MIEI ORDINI shows
"Fattura n. …" and its PDF downloads; the email that announces it links the same PDF."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

from playwright.async_api import Page, expect
from pypdf import PdfReader
from sportello.testing import wait_for

from .shop_steps import mails_to, register, reload_until, shot
from .test_browser import add_dichiarazione, buy_by_card_from_the_cart

expect.set_options(timeout=15_000)


async def test_a_paid_order_shows_its_invoice_and_the_pdf_downloads(page: Page, system):
    email = await register(page)
    await add_dichiarazione(page)
    await buy_by_card_from_the_cart(page)

    await page.goto("/account/ordini")
    await page.locator("a[href^='/account/ordini/']").first.click()
    # Payment → invoicing renders the PDF and validates the XML → orders: seconds on two busy cores.
    await reload_until(page, "Fattura n. FT-", timeout=30)
    await shot(page, "31-ordine-con-fattura")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Scarica PDF").click()
    download = await download_info.value
    assert re.fullmatch(r"fattura-FT-\d{4}-\d{6}\.pdf", download.suggested_filename)
    pdf = await asyncio.to_thread(Path(await download.path()).read_bytes)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Copia di cortesia" in text and "Dichiarazione dei redditi" in text
    assert "RSSMRA85T10A562S" in text   # the codice fiscale of the billing data

    async def invoice_email():
        return [m for m in await mails_to(system, email) if m["subject"].startswith("Fattura n. FT-")]
    [mail] = await wait_for(invoice_email, timeout=20, message="invoice email")
    assert "/account/fatture/" in (mail.get("text") or mail.get("body") or str(mail))
