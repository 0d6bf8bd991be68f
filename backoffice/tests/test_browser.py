"""The back office in Debian's Chromium against the whole system: a staff member prices the quote
a customer asked for and the customer sees it in the shop; a customer's login is refused.
Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import re

from playwright.async_api import expect

from .browser_steps import log_in, shot
from .conftest import CUSTOMER_PASSWORD, customer_quote, register, request_quote

expect.set_options(timeout=15_000)
EURO = "\xa0€"


async def test_staff_price_a_requested_quote_and_the_customer_sees_it_in_the_shop(
        new_page, api, system):
    customer = await register(api)
    quote = await request_quote(api, customer, message="Ci serve anche la prenotazione online.")

    staff = await new_page(system.settings.backoffice_url)
    await log_in(staff, system.staff_email, system.staff_password)
    await expect(staff.get_by_role("heading", name="Cruscotto")).to_be_visible()
    await shot(staff, "bo-01-cruscotto")
    await staff.get_by_role("link", name=re.compile("Preventivi da prezzare")).click()
    await expect(staff.get_by_role("heading", name="Da prezzare")).to_be_visible()
    await staff.get_by_role("link", name=quote["number"]).click()
    await expect(staff.get_by_text("Ci serve anche la prenotazione online.")).to_be_visible()

    # A price typed wrong comes back with its message next to the field, focusable by keyboard.
    price = staff.get_by_label(re.compile("^Prezzo netto unitario in euro di «Sito su misura»"))
    await price.fill("quattromila")
    await staff.get_by_role("button", name="Invia il preventivo").click()
    await expect(staff.get_by_text("Indica il prezzo netto in euro, ad esempio 1.250,00.")).to_be_visible()
    await expect(price).to_have_attribute("aria-invalid", "true")
    await price.fill("4.500,00")
    await staff.get_by_label(re.compile("^Valido fino al")).fill("2099-12-31")
    await staff.get_by_label("Nota per il cliente").fill("Prenotazione online inclusa.")
    await staff.get_by_role("button", name="Invia il preventivo").click()
    await expect(staff.get_by_text(f"Preventivo {quote['number']} inviato al cliente.")).to_be_visible()
    await expect(staff.locator(".totals")).to_contain_text(f"5.490,00{EURO}")
    await shot(staff, "bo-02-preventivo-inviato")

    # The queue at phone width: rows stack into cards, nothing wider than the screen.
    await staff.set_viewport_size({"width": 390, "height": 844})
    await staff.goto("/preventivi?stato=quoted")
    await expect(staff.get_by_role("link", name=quote["number"])).to_be_visible()
    width = await staff.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    await shot(staff, "bo-03-preventivi-telefono")

    await customer_quote(api, customer, quote["id"], "quoted")
    shop = await new_page(system.settings.storefront_url)
    await log_in(shop, customer.email, CUSTOMER_PASSWORD)
    await shop.goto(f"/account/preventivi/{quote['id']}")
    await expect(shop.locator(".status").first).to_have_text("Preventivo disponibile")
    await expect(shop.get_by_text("Prenotazione online inclusa.").first).to_be_visible()
    await expect(shop.locator(".totals")).to_contain_text(f"5.490,00{EURO}")
    await shot(shop, "bo-04-cliente-vede-il-preventivo")


async def test_a_customers_login_to_the_back_office_is_refused(new_page, api, system):
    customer = await register(api)
    page = await new_page(system.settings.backoffice_url)
    await log_in(page, customer.email, CUSTOMER_PASSWORD)
    await expect(page.get_by_role("alert")).to_have_text("Accesso riservato allo staff.")
    await expect(page.get_by_role("navigation", name="Back office")).to_have_count(0)
    await shot(page, "bo-05-cliente-rifiutato")
    await page.goto("/preventivi")
    await expect(page).to_have_url(re.compile(r"/accedi\?next="))
