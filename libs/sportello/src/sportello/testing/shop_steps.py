"""Steps in the shop's pages that both the storefront's and the back office's browser tests take:
labels as written, the billing form, the conditions of sale, the way to the payment page, and
reloading until an event-driven change shows."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from sportello.testing import wait_for

# A valid codice fiscale (check character included).
GOOD_CF = "RSSMRA85T10A562S"


def starts(label: str) -> re.Pattern:
    """A label as written, whatever follows it (the required-field asterisk)."""
    return re.compile("^" + re.escape(label) + r"(\W|$)")


async def fill_billing(page: Page, tax_code: str = GOOD_CF) -> None:
    await page.get_by_label(starts("Privato")).check()
    await page.get_by_label(starts("Codice fiscale")).fill(tax_code)
    await page.get_by_label(starts("Indirizzo")).fill("Via Roma 1")
    await page.get_by_label(starts("CAP")).fill("20121")
    await page.get_by_label(starts("Città")).fill("Milano")
    await page.get_by_label(starts("Provincia (sigla)")).fill("MI")


async def accept_terms(page: Page) -> None:
    """The required acceptance of the conditions of sale, before COMPLETA L'ACQUISTO."""
    await page.get_by_label(re.compile("accetto le condizioni di vendita")).check()


async def checkout_to_payment(page: Page) -> None:
    """From the cart, logged in: PROCEDI ALL'ACQUISTO → Dati di Fatturazione → payment page."""
    await page.get_by_role("link", name="PROCEDI ALL'ACQUISTO").click()
    await expect(page.get_by_role("heading", name="Dati di Fatturazione")).to_be_visible()
    await fill_billing(page)
    await page.get_by_role("button", name="Continua con il pagamento").click()
    await expect(page.get_by_role("heading", name="Pagamento", exact=True)).to_be_visible()


async def reload_until(page: Page, text: str, timeout: float = 15.0) -> None:
    """Reload until an event-driven change shows up (a quote recorded, an order paid, a file)."""
    async def shown():
        await page.reload()
        return await page.get_by_text(text).count() > 0

    await wait_for(shown, timeout=timeout, interval=0.3, message=f"«{text}» on {page.url}")
