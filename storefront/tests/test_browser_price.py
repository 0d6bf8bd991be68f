"""Issue 22 in the browser (Debian's chromium, the whole system): the price explained live on the
service page and in the cart, and a line corrected from the payment step, which it returns to.
Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from .shop_steps import register, shot, starts
from .test_browser import checkout_to_payment

expect.set_options(timeout=15_000)
EURO = "\xa0€"
SERVICE = "Traduzione professionale a pagina"


def entries(container):
    return container.locator(".breakdown > div")


async def configure_translation(page: Page, pages: str) -> None:
    await page.goto("/servizio/traduzione-per-pagina")
    await page.get_by_label(starts("Numero di pagine (cartelle)")).fill(pages)
    await page.get_by_label(starts("Combinazione linguistica")).select_option(value="it-est")
    await page.get_by_label(starts("Urgente (48 ore, +30 %)")).check()


async def test_the_service_page_explains_the_price_live_and_the_cart_shows_the_same(page: Page):
    await configure_translation(page, "4")
    detail = page.locator("#prezzo-dettaglio li")
    expected = [f"Numero di pagine (cartelle): 4 × 25,00{EURO} 100,00{EURO}",
                f"+20 % Italiano ↔ lingue dell'Est Europa 20,00{EURO}",
                f"+30 % Urgente (48 ore) 30,00{EURO}"]
    await expect(detail).to_have_text(expected)
    await expect(page.locator("#prezzo-live")).to_have_text(f"150,00{EURO} + IVA")
    await shot(page, "26-prezzo-spiegato")
    # Live: one more page changes every line of the explanation that depends on it.
    await page.get_by_label(starts("Numero di pagine (cartelle)")).fill("5")
    await expect(detail.first).to_have_text(f"Numero di pagine (cartelle): 5 × 25,00{EURO} 125,00{EURO}")
    await expect(page.locator("#prezzo-live")).to_have_text(f"187,50{EURO} + IVA")
    await page.get_by_label(starts("Numero di pagine (cartelle)")).fill("4")
    await expect(detail).to_have_text(expected)

    await page.get_by_role("button", name="Aggiungi al carrello").click()
    await expect(page).to_have_url(re.compile(r"/carrello$"))
    line = page.locator(".line")
    # The cart shows the breakdown the cart API keeps on the line: the same as the page said.
    await expect(entries(line)).to_have_text(expected)
    await expect(line).to_contain_text(f"150,00{EURO}")
    await shot(page, "27-carrello-prezzo-spiegato")


async def test_a_line_is_corrected_from_the_payment_step_and_comes_back_to_it(page: Page):
    await register(page)
    await configure_translation(page, "4")
    await page.get_by_role("button", name="Aggiungi al carrello").click()
    await expect(page).to_have_url(re.compile(r"/carrello$"))
    await checkout_to_payment(page)
    await expect(page.locator(".line")).to_contain_text(f"150,00{EURO}")
    await shot(page, "28-pagamento-con-modifica")

    await page.get_by_role("link", name=f"Modifica {SERVICE}").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(SERVICE)
    # The answers as the line holds them.
    await expect(page.get_by_label(starts("Numero di pagine (cartelle)"))).to_have_value("4")
    await expect(page.get_by_label(starts("Combinazione linguistica"))).to_have_value("it-est")
    await expect(page.get_by_label(starts("Urgente (48 ore, +30 %)"))).to_be_checked()
    await page.get_by_label(starts("Numero di pagine (cartelle)")).fill("6")
    await page.get_by_label(starts("Standard (5 giorni lavorativi)")).check()
    await shot(page, "29-correggi-dal-pagamento")
    await page.get_by_role("button", name="Salva le modifiche").click()

    await expect(page).to_have_url(re.compile(r"/checkout/pagamento$"))
    await expect(page.get_by_text("Riga aggiornata")).to_be_visible()
    line = page.locator(".line")
    await expect(line).to_have_count(1)
    # 6 × 25,00 = 150,00; +20 % = 180,00, no urgency any more.
    await expect(entries(line)).to_have_text([
        f"Numero di pagine (cartelle): 6 × 25,00{EURO} 150,00{EURO}",
        f"+20 % Italiano ↔ lingue dell'Est Europa 30,00{EURO}"])
    await expect(line).to_contain_text(f"180,00{EURO}")
    await expect(line).not_to_contain_text("Urgente")
    await expect(page.get_by_role("button", name="COMPLETA L'ACQUISTO")).to_be_visible()

    # A wrong answer keeps the customer on the service page, still on the way back to payment.
    await page.get_by_role("link", name=f"Modifica {SERVICE}").click()
    await page.get_by_label(starts("Numero di pagine (cartelle)")).fill("0")
    await page.get_by_role("button", name="Salva le modifiche").click()
    await expect(page.get_by_text("Il valore minimo è 1.")).to_be_visible()
    await page.get_by_label(starts("Numero di pagine (cartelle)")).fill("2")
    await page.get_by_role("button", name="Salva le modifiche").click()
    await expect(page).to_have_url(re.compile(r"/checkout/pagamento$"))
    await expect(page.locator(".line")).to_contain_text(f"60,00{EURO}")
