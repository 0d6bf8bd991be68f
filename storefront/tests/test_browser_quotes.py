"""A quote as a conversation, in the browser against the whole system: the customer writes,
staff answer, the customer asks for a change, staff re-issue, the customer downloads the PDF,
accepts and pays. Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from pathlib import Path

from playwright.async_api import Page, expect
from sportello.testing import wait_for

from .shop_steps import StaffApi, mails_to, open_service, register, reload_until, shot, starts
from .test_browser import buy_by_card_from_the_cart

expect.set_options(timeout=15_000)
EURO = "\xa0€"


async def test_a_quote_talked_through_changed_reissued_accepted_and_paid(page: Page, system):
    staff = StaffApi(system)
    await open_service(page, "Servizi web", "Sito su misura")
    await page.get_by_label(starts("Descrivi il progetto")).fill("Un sito per la nostra trattoria.")
    await page.get_by_label(starts("Budget indicativo")).select_option(label="Da 5.000 a 15.000 €")
    await page.get_by_role("button", name="RICHIEDI PREVENTIVO").click()
    await page.get_by_role("link", name="PROCEDI ALLA RICHIESTA DI PREVENTIVO").click()
    email = await register(page, from_login=True)
    wanted = date.today() + timedelta(days=40)
    await page.get_by_label(starts("Budget indicativo in euro")).fill("6.000")
    await page.get_by_label(starts("Ti servirebbe entro il")).fill(wanted.isoformat())
    await page.get_by_role("button", name="RICHIEDI PREVENTIVO").click()
    await expect(page.get_by_role("heading", name="Richiesta di preventivo inviata")).to_be_visible()
    quote_id = page.url.rsplit("/", 1)[1]

    # The customer writes first; staff answer; the customer reads it on the page and by email.
    await page.goto(f"/account/preventivi/{quote_id}")
    await reload_until(page, "Richiesto")
    await expect(page.get_by_text(f"Budget indicativo: 6.000,00{EURO}")).to_be_visible()
    await page.get_by_label("Scrivi allo staff").fill("Potete includere anche il menù online?")
    await page.get_by_role("button", name="Invia il messaggio").click()
    await expect(page.get_by_text("Messaggio inviato")).to_be_visible()
    await staff.write(quote_id, "Certo, lo includiamo nel preventivo.")
    await reload_until(page, "Certo, lo includiamo nel preventivo.")
    thread = page.locator(".thread .message")
    await expect(thread).to_have_count(2)
    await expect(thread.first).to_contain_text("Potete includere anche il menù online?")
    await wait_for(lambda: _has_subject(system, email, "Hai un nuovo messaggio sul preventivo"),
                   timeout=20, message="message email")
    await shot(page, "21-preventivo-conversazione")

    # Priced; the customer asks for a change; staff re-issue cheaper.
    await staff.issue_quote(quote_id, 500000, note="Sito e menù online.")
    await reload_until(page, "Preventivo disponibile")
    await page.get_by_label("Che cosa vorresti cambiare?").fill("Possiamo togliere il blog?")
    await page.get_by_role("button", name="Richiedi una modifica").click()
    await expect(page.get_by_text("Richiesta di modifica inviata")).to_be_visible()
    await expect(page.locator(".status").first).to_have_text("Modifica richiesta")
    await expect(page.get_by_role("button", name="Accetta e aggiungi al carrello")).to_have_count(0)
    await staff.issue_quote(quote_id, 450000, note="Senza blog.")
    await reload_until(page, "Senza blog.")
    await expect(page.locator(".totals")).to_contain_text(f"5.490,00{EURO}")
    await shot(page, "22-preventivo-rivisto")

    # The PDF, then accept and pay.
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Scarica il preventivo (PDF)").click()
    download = await download_info.value
    assert download.suggested_filename.startswith("preventivo-PR-")
    assert (await asyncio.to_thread(Path(await download.path()).read_bytes)).startswith(b"%PDF-")
    await page.get_by_role("button", name="Accetta e aggiungi al carrello").click()
    await expect(page).to_have_url(re.compile(r"/carrello$"))
    await expect(page.locator(".totals")).to_contain_text(f"5.490,00{EURO}")
    await buy_by_card_from_the_cart(page)
    await page.goto(f"/account/preventivi/{quote_id}")
    await reload_until(page, "Ordinato")


async def _has_subject(system, email: str, subject: str) -> bool:
    return any(m["subject"].startswith(subject) for m in await mails_to(system, email))
