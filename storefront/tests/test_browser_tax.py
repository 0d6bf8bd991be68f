"""The payment step in the browser shows the tax the checkout will apply: the 2,00 € stamp duty
on exempt training above 77,47 €, and the reverse charge (net total and why) for a German
business — before COMPLETA L'ACQUISTO."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from .shop_steps import fill_billing, open_service, register, shot, starts

expect.set_options(timeout=15_000)
EURO = "\u00a0€"


async def add_gdpr_course(page: Page) -> None:
    await open_service(page, "Formazione", "Corso privacy e GDPR (in aula)")
    await page.get_by_label(starts("Sede")).select_option(label="Milano")
    # Exempt training (art. 10, n. 20): the live price adds no VAT and says so.
    await page.get_by_label(starts("Manuale cartaceo")).check()
    await expect(page.locator("#prezzo-live")).to_have_text(f"140,00{EURO} esente IVA")
    await expect(page.locator("#prezzo-live-lordo")).to_have_text("")
    await page.get_by_label(starts("Manuale cartaceo")).uncheck()
    await page.get_by_role("button", name="Aggiungi al carrello").click()
    await expect(page).to_have_url(re.compile(r"/carrello$"))


async def test_the_payment_step_shows_the_stamp_duty_and_the_reverse_charge(page: Page, system):
    await register(page)
    await add_gdpr_course(page)
    await page.get_by_role("link", name="PROCEDI ALL'ACQUISTO").click()
    await fill_billing(page)
    await page.get_by_role("button", name="Continua con il pagamento").click()
    await expect(page.get_by_role("heading", name="Pagamento", exact=True)).to_be_visible()

    totals = page.locator("aside .totals")
    await expect(totals.locator(".stamp-duty")).to_contain_text(f"Imposta di bollo2,00{EURO}")
    # 120,00 € exempt + 2,00 € stamp duty.
    await expect(totals.locator(".grand")).to_contain_text(f"122,00{EURO}")
    await expect(page.get_by_text("Esente IVA art. 10, n. 20, DPR 633/72")).to_be_visible()
    await shot(page, "40-pagamento-bollo")

    # The same customer buys as a German business: the billing data change the treatment.
    await page.get_by_role("link", name="Modifica i dati di fatturazione").click()
    await page.get_by_label(starts("Azienda o professionista")).check()
    await page.get_by_label(starts("Ragione sociale")).fill("Beispiel GmbH")
    await page.get_by_label(starts("Partita IVA")).fill("DE136695976")
    await page.get_by_label(starts("Codice fiscale")).fill("")
    await page.get_by_label(starts("Indirizzo")).fill("Friedrichstraße 1")
    await page.get_by_label(starts("CAP")).fill("10117")
    await page.get_by_label(starts("Città")).fill("Berlin")
    await page.get_by_label(starts("Provincia (sigla)")).fill("")
    await page.get_by_label(starts("Paese (codice ISO, es. IT)")).fill("DE")
    await page.get_by_role("button", name="Continua con il pagamento").click()
    await expect(page.get_by_role("heading", name="Pagamento", exact=True)).to_be_visible()

    await expect(page.get_by_text("IVA: inversione contabile, art. 7-ter DPR 633/72")).to_be_visible()
    await expect(totals.locator(".grand")).to_contain_text(f"Totale da pagare120,00{EURO}")
    # No stamp duty on a supply to a business abroad.
    await expect(totals.locator(".stamp-duty")).to_have_count(0)
    await expect(page.get_by_role("button", name="COMPLETA L'ACQUISTO")).to_be_visible()
    await shot(page, "41-pagamento-inversione-contabile")
