"""The form builder in Debian's Chromium against the whole system: staff build a new service
with a priced form, preview its price, publish it; it appears in the shop, and a cart line of the
same answers costs, to the cent, what the preview said. Screenshots in test-artifacts/."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import expect

from .browser_steps import log_in, shot

expect.set_options(timeout=15_000)


async def test_staff_build_a_priced_service_that_the_shop_prices_to_the_same_cent(
        new_page, system):
    staff = await new_page(system.settings.backoffice_url)
    await log_in(staff, system.staff_email, system.staff_password)
    await staff.get_by_role("navigation", name="Back office").get_by_role("link", name="Catalogo").click()
    await expect(staff.get_by_role("heading", name="Catalogo", exact=True)).to_be_visible()
    await staff.get_by_role("link", name="Nuovo servizio", exact=True).click()

    slug = f"logo-{uuid.uuid4().hex[:8]}"
    await staff.get_by_label("Nome", exact=True).fill("Logo lampo")
    await staff.get_by_label(re.compile(r"^Slug")).fill(slug)
    await staff.get_by_label("Categoria").select_option(label="Servizi web")
    await staff.get_by_label(re.compile(r"^Descrizione breve")).fill("Un logo in 48 ore.")
    await staff.get_by_label(re.compile(r"^Prezzo base netto")).fill("120,00")

    # A choice with a priced option and a percent surcharge, then a priced checkbox.
    await staff.get_by_label("Tipo del nuovo campo").select_option(label="Scelta tra opzioni")
    await staff.get_by_role("button", name="Aggiungi il campo").click()
    await staff.get_by_label(re.compile(r"^Domanda \(etichetta\) del campo 1")).fill("Consegna")
    await staff.get_by_label(re.compile(r"^Nome tecnico del campo 1")).fill("consegna")
    await staff.get_by_role("button", name=re.compile(r"^Aggiungi un'opzione al campo 1")).click()
    await staff.get_by_label(re.compile(r"^Testo dell'opzione 1 del campo 1")).fill("Standard")
    await staff.get_by_label(re.compile(r"^Valore dell'opzione 1 del campo 1")).fill("standard")
    await staff.get_by_label(re.compile(r"^Testo dell'opzione 2 del campo 1")).fill("Urgente")
    await staff.get_by_label(re.compile(r"^Valore dell'opzione 2 del campo 1")).fill("urgente")
    await staff.get_by_label(re.compile(r"^Supplemento in euro dell'opzione 2")).fill("35,50")
    await staff.get_by_label(re.compile(r"^Maggiorazione in % dell'opzione 2")).fill("12,5")
    await staff.get_by_label(re.compile(r"^Risposta obbligatoria nel campo 1")).check()
    await staff.get_by_label("Tipo del nuovo campo").select_option(label="Casella (sì/no)")
    await staff.get_by_role("button", name="Aggiungi il campo").click()
    await staff.get_by_label(re.compile(r"^Domanda \(etichetta\) del campo 2")).fill("File sorgente")
    await staff.get_by_label(re.compile(r"^Nome tecnico del campo 2")).fill("sorgente")
    await staff.get_by_label(re.compile(r"^Supplemento in euro se il campo 2")).fill("19,99")
    # Move the checkbox above the choice, and back: what was typed stays.
    await staff.get_by_role("button", name=re.compile(r"^Sposta su il campo 2")).click()
    await expect(staff.get_by_role("group", name=re.compile("Campo 1: Casella"))).to_be_visible()
    await staff.get_by_role("button", name=re.compile(r"^Sposta giù il campo 1")).click()
    await expect(staff.get_by_role("group", name=re.compile("Campo 1: Scelta"))).to_be_visible()

    preview = staff.locator(".bo-preview")
    await preview.get_by_label(re.compile(r"^Urgente")).check()
    await preview.get_by_label(re.compile(r"^File sorgente")).check()
    await staff.get_by_role("button", name="Aggiorna anteprima", exact=True).click()
    # (120,00 + 35,50 + 19,99) € + 12,5 % = 197,43 € (half-up), + 22 % IVA = 240,86 €.
    await expect(staff.locator("#prezzo-live")).to_have_text("197,43\xa0€ + IVA")
    previewed_net = await staff.locator("#prezzo-live").inner_text()
    previewed_gross = await staff.locator("#anteprima-lordo").inner_text()
    assert "240,86\xa0€ IVA inclusa" in previewed_gross
    await shot(staff, "bo-06-form-builder-anteprima")
    await staff.get_by_role("button", name="Crea e pubblica").click()
    await expect(staff.get_by_text("Servizio «Logo lampo» pubblicato (versione 1).")).to_be_visible()

    shop = await new_page(system.settings.storefront_url)
    await shop.goto("/servizi/servizi-web")
    await shop.get_by_role("link", name="Logo lampo").first.click()
    await expect(shop.get_by_role("heading", name="Logo lampo")).to_be_visible()
    await shop.get_by_label(re.compile(r"^Urgente")).check()
    await shop.get_by_label(re.compile(r"^File sorgente")).check()
    await shop.get_by_role("button", name="Aggiungi al carrello").click()
    await expect(shop).to_have_url(re.compile(r"/carrello$"))
    line = shop.locator(".line").filter(has_text="Logo lampo")
    price = line.locator(".line-price")
    await expect(price.locator("strong")).to_have_text(previewed_net.split(" + ")[0])
    await expect(price).to_contain_text("240,86\xa0€ IVA inclusa")
    await shot(shop, "bo-07-carrello-stesso-prezzo")
