"""The back office's long journey in Debian's Chromium: staff price a quote (the totals follow the
typed price), the customer accepts it and pays by bank transfer in the shop, staff confirm the
transfer, the customer sees the order paid. Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import re

from playwright.async_api import expect
from sportello.testing.shop_steps import accept_terms, checkout_to_payment, starts

from .browser_steps import log_in, reload_until, shot
from .conftest import CUSTOMER_PASSWORD, customer_quote, register, request_quote

expect.set_options(timeout=15_000)
EURO = "\xa0€"


async def test_a_quote_priced_here_is_accepted_paid_by_transfer_and_confirmed_here(
        new_page, api, system):
    customer = await register(api)
    quote = await request_quote(api, customer, message="Il sito per le tre sedi.")

    staff = await new_page(system.settings.backoffice_url)
    await log_in(staff, system.staff_email, system.staff_password)
    await staff.goto(f"/preventivi/{quote['id']}")
    totals = staff.locator("#totali-live")
    await expect(totals).to_contain_text("Manca il prezzo di una riga")
    # As staff type, the totals follow: 4.500 € + 22 % IVA.
    await staff.get_by_label(re.compile("^Prezzo netto unitario in euro di «Sito su misura»")
                             ).fill("4.500,00")
    await expect(totals).to_contain_text(f"IVA 22 % su 4.500,00{EURO}")
    await expect(totals.locator(".grand")).to_contain_text(f"5.490,00{EURO}")
    await expect(totals).not_to_contain_text("Manca il prezzo")
    await shot(staff, "bo-08-totali-mentre-si-prezza")
    await staff.get_by_label(re.compile("^Valido fino al")).fill("2099-12-31")
    await staff.get_by_role("button", name="Invia il preventivo").click()
    await expect(staff.get_by_text(f"Preventivo {quote['number']} inviato al cliente.")).to_be_visible()

    await customer_quote(api, customer, quote["id"], "quoted")
    shop = await new_page(system.settings.storefront_url)
    await log_in(shop, customer.email, CUSTOMER_PASSWORD)
    await shop.goto(f"/account/preventivi/{quote['id']}")
    await shop.get_by_role("button", name="Accetta e aggiungi al carrello").click()
    await expect(shop).to_have_url(re.compile(r"/carrello$"))
    await expect(shop.locator(".totals")).to_contain_text(f"5.490,00{EURO}")
    await checkout_to_payment(shop)
    await shop.get_by_label(starts("Bonifico bancario")).check()
    await accept_terms(shop)
    await shop.get_by_role("button", name="COMPLETA L'ACQUISTO").click()
    await expect(shop.get_by_role("heading", name="Ordine ricevuto")).to_be_visible()
    order_id = re.search(r"/ordini/([0-9a-f-]{36})/esito", shop.url).group(1)
    await shot(shop, "bo-09-cliente-paga-con-bonifico")

    await staff.goto(f"/ordini/{order_id}")
    await reload_until(staff, "Conferma il bonifico")
    await expect(staff.locator("h1")).to_contain_text("In attesa di pagamento")
    await staff.get_by_role("button", name="Conferma il bonifico").click()
    await expect(staff.get_by_text("Bonifico confermato: l'ordine è pagato.")).to_be_visible()
    await shot(staff, "bo-10-bonifico-confermato")

    await shop.goto(f"/account/ordini/{order_id}")
    await reload_until(shop, "Pagato")
    await expect(shop.locator(".transfer")).to_have_count(0)
    await shot(shop, "bo-11-cliente-vede-pagato")
