"""The shop in a real browser (Debian's chromium) against the whole system: every journey of
issue 11, as a customer clicks through it. Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Page, expect
from sportello.testing import wait_for

from .shop_steps import (
    BAD_CF,
    PASSWORD,
    StaffApi,
    accept_terms,
    checkout_to_payment,
    fill_billing,
    mails_to,
    open_service,
    pay_by_card,
    register,
    reload_until,
    shot,
    starts,
)

expect.set_options(timeout=15_000)
EURO = "\xa0€"


async def add_sito_vetrina(page: Page, extra_pages: str = "2") -> None:
    await open_service(page, "Servizi web", "Sito vetrina")
    await page.get_by_role("link", name="ACQUISTA").click()
    await page.get_by_label(starts("Pagine oltre le 5 incluse")).fill(extra_pages)
    await page.get_by_label(starts("Solo italiano")).check()
    await page.get_by_role("button", name="Aggiungi al carrello").click()
    await expect(page).to_have_url(re.compile(r"/carrello$"))


async def add_dichiarazione(page: Page) -> None:
    await open_service(page, "Consulenza fiscale", "Dichiarazione dei redditi")
    await page.get_by_label(starts("Modello 730")).check()
    await page.get_by_role("button", name="Aggiungi al carrello").click()
    await expect(page).to_have_url(re.compile(r"/carrello$"))


async def test_buy_by_card_from_the_servizi_menu_to_the_confirmation(page: Page, system):
    await page.goto("/")
    await shot(page, "01-home")
    await open_service(page, "Servizi web", "Sito vetrina")
    await expect(page.get_by_text(f"da 900,00{EURO} + IVA").first).to_be_visible()
    await page.get_by_role("link", name="ACQUISTA").click()
    # The live price follows the answers: 900 € + 2 extra pages × 90 € = 1.080,00 € + IVA.
    await page.get_by_label(starts("Pagine oltre le 5 incluse")).fill("2")
    await page.get_by_label(starts("Solo italiano")).check()
    await expect(page.locator("#prezzo-live")).to_have_text(f"1.080,00{EURO} + IVA")
    await page.get_by_label(starts("Consegna in 10 giorni")).check()
    await expect(page.locator("#prezzo-live")).to_have_text(f"1.404,00{EURO} + IVA")
    await page.get_by_label(starts("Consegna in 10 giorni")).uncheck()
    await shot(page, "02-servizio")
    await page.get_by_role("button", name="Aggiungi al carrello").click()

    await expect(page).to_have_url(re.compile(r"/carrello$"))
    line = page.locator(".line")
    await expect(line).to_contain_text("Sito vetrina")
    await expect(line).to_contain_text("Pagine oltre le 5 incluse")
    await expect(page.locator(".totals")).to_contain_text(f"1.317,60{EURO}")  # 1.080 + 22 %
    await shot(page, "03-carrello")

    await page.get_by_role("link", name="PROCEDI ALL'ACQUISTO").click()
    await expect(page).to_have_url(re.compile(r"/accedi\?next="))
    await shot(page, "04-accedi")
    await register(page, from_login=True)
    # The anonymous cart came along, and the billing form starts from the profile.
    await expect(page).to_have_url(re.compile(r"/checkout/fatturazione$"))
    await expect(page.get_by_label(starts("Nome"))).to_have_value("Giulia")
    await expect(page.locator(".totals")).to_contain_text(f"1.317,60{EURO}")
    await fill_billing(page)
    await shot(page, "05-dati-di-fatturazione")
    await page.get_by_role("button", name="Continua con il pagamento").click()
    await page.get_by_label(starts("Carta di credito o debito")).check()
    await shot(page, "06-pagamento")
    await accept_terms(page)
    await page.get_by_role("button", name="COMPLETA L'ACQUISTO").click()

    await expect(page).to_have_url(re.compile("^" + re.escape(system.settings.payment_sandbox_url)))
    await pay_by_card(page)
    await expect(page.get_by_role("heading", name="Grazie, l'ordine è confermato")).to_be_visible()
    number = (await page.locator(".order-number").first.text_content()).strip()
    assert re.fullmatch(r"SP-\d{4}-\d{6}", number)
    await expect(page.locator(".totals")).to_contain_text(f"1.317,60{EURO}")
    await shot(page, "07-conferma-ordine")

    await page.get_by_role("navigation", name="Principale").get_by_role(
        "link", name="IL MIO ACCOUNT").click()
    await page.get_by_role("link", name="I MIEI ORDINI").first.click()
    await expect(page.get_by_role("row", name=re.compile(number))).to_contain_text("Pagato")
    await shot(page, "08-i-miei-ordini")
    await page.get_by_role("link", name=number, exact=True).click()  # not its RECEDI
    await expect(page.locator(".history")).to_contain_text("Pagato")
    await shot(page, "09-ordine")


async def test_a_declined_card_can_pay_again_from_the_order(page: Page):
    await register(page)
    await add_dichiarazione(page)
    await checkout_to_payment(page)
    await page.get_by_label(starts("Carta di credito o debito")).check()
    await accept_terms(page)
    await page.get_by_role("button", name="COMPLETA L'ACQUISTO").click()
    await pay_by_card(page, "4000 0000 0000 0002")  # the sandbox's declined card

    await expect(page.get_by_role("heading", name="Il pagamento non è andato a buon fine")
                 ).to_be_visible()
    await shot(page, "20-pagamento-rifiutato")
    await page.get_by_role("button", name="Riprova il pagamento").click()
    await pay_by_card(page)
    await expect(page.get_by_role("heading", name="Grazie, l'ordine è confermato")).to_be_visible()
    await page.get_by_role("link", name=re.compile("Vedi l'ordine")).click()
    history = page.locator(".history")
    await expect(history).to_contain_text("Pagamento non riuscito")
    await expect(history).to_contain_text("Pagato")


async def test_buy_by_bank_transfer_shows_the_instructions_until_staff_confirm(page: Page, system):
    await register(page)
    await add_dichiarazione(page)
    await checkout_to_payment(page)
    await page.get_by_label(starts("Bonifico bancario")).check()
    await accept_terms(page)
    await page.get_by_role("button", name="COMPLETA L'ACQUISTO").click()

    await expect(page.get_by_role("heading", name="Ordine ricevuto")).to_be_visible()
    transfer = page.locator(".transfer")
    await expect(transfer).to_contain_text("IBAN")
    await expect(transfer).to_contain_text(f"73,20{EURO}")  # 60 € + 22 %
    number = (await page.locator(".order-number").first.text_content()).strip()
    await expect(transfer).to_contain_text(number)  # the causale names the order
    await shot(page, "10-bonifico")

    order_id = re.search(r"/ordini/([0-9a-f-]{36})/esito", page.url).group(1)
    await page.goto(f"/account/ordini/{order_id}")
    await expect(page.locator(".transfer")).to_contain_text("IBAN")
    await StaffApi(system).confirm_transfer(order_id)
    await reload_until(page, "Pagato")
    await expect(page.locator(".transfer")).to_have_count(0)


async def test_a_cart_line_is_corrected_from_the_service_page(page: Page):
    await add_sito_vetrina(page)
    await page.get_by_role("link", name="Modifica Sito vetrina").click()
    await expect(page.get_by_label(starts("Pagine oltre le 5 incluse"))).to_have_value("2")
    await expect(page.get_by_label(starts("Solo italiano"))).to_be_checked()
    await page.get_by_label(starts("Italiano e inglese")).check()
    await expect(page.locator("#prezzo-live")).to_have_text(f"1.380,00{EURO} + IVA")
    await shot(page, "11-correggi-riga")
    await page.get_by_role("button", name="Salva le modifiche").click()

    await expect(page).to_have_url(re.compile(r"/carrello$"))
    await expect(page.locator(".line")).to_have_count(1)
    await expect(page.locator(".line")).to_contain_text("Italiano e inglese")
    await expect(page.locator(".totals")).to_contain_text(f"1.380,00{EURO}")
    await expect(page.get_by_role("link", name="Carrello, 1 servizio")).to_have_text("Carrello (1)")
    await page.get_by_label(starts("Quantità")).fill("2")
    await page.get_by_role("button", name="Aggiorna la quantità di Sito vetrina").click()
    await expect(page.get_by_text("Quantità aggiornata.")).to_be_visible()
    await expect(page.locator(".totals")).to_contain_text(f"2.760,00{EURO}")
    await page.get_by_role("button", name="Rimuovi Sito vetrina").click()
    await expect(page.get_by_text("Il carrello è vuoto.")).to_be_visible()


async def buy_by_card_from_the_cart(page: Page) -> None:
    """From the cart, logged in: billing, card, COMPLETA L'ACQUISTO, the hosted page, confirmed."""
    await checkout_to_payment(page)
    await page.get_by_label(starts("Carta di credito o debito")).check()
    await accept_terms(page)
    await page.get_by_role("button", name="COMPLETA L'ACQUISTO").click()
    await pay_by_card(page)
    await expect(page.get_by_role("heading", name="Grazie, l'ordine è confermato")).to_be_visible()


async def test_quote_journey_up_to_accept_cart_and_buy(page: Page, system):
    await open_service(page, "Servizi web", "Sito su misura")
    await expect(page.get_by_text("su preventivo").first).to_be_visible()
    await page.get_by_label(starts("Descrivi il progetto")).fill("Un portale di prenotazioni per 3 sedi.")
    await page.get_by_label(starts("Budget indicativo")).select_option(label="Da 5.000 a 15.000 €")
    await page.get_by_role("button", name="RICHIEDI PREVENTIVO").click()

    await expect(page).to_have_url(re.compile(r"/carrello-preventivi$"))
    await expect(page.locator(".line")).to_contain_text("portale di prenotazioni")
    await shot(page, "12-carrello-preventivi")
    await page.get_by_role("link", name="PROCEDI ALLA RICHIESTA DI PREVENTIVO").click()
    await register(page, from_login=True)
    await expect(page).to_have_url(re.compile(r"/preventivo/richiesta$"))
    await page.get_by_label(starts("Messaggio (facoltativo)")).fill("Ci servirebbe entro marzo.")
    await page.get_by_role("button", name="RICHIEDI PREVENTIVO").click()
    await expect(page.get_by_role("heading", name="Richiesta di preventivo inviata")).to_be_visible()
    quote_id = page.url.rsplit("/", 1)[1]

    await page.get_by_role("link", name="I MIEI PREVENTIVI").click()
    await reload_until(page, "Richiesto")
    await expect(page.get_by_text("Ci servirebbe entro marzo.")).to_be_visible()
    await StaffApi(system).issue_quote(quote_id, 200000, note="Include tre mesi di assistenza.")
    await reload_until(page, "Preventivo disponibile")
    await expect(page.locator(".note-box")).to_contain_text("Include tre mesi di assistenza.")
    await expect(page.locator(".totals")).to_contain_text(f"2.440,00{EURO}")
    await shot(page, "13-preventivo")
    await page.get_by_role("button", name="Accetta e aggiungi al carrello").click()

    await expect(page).to_have_url(re.compile(r"/carrello$"))
    await expect(page.locator(".line")).to_contain_text("Prezzo da preventivo")
    await expect(page.locator(".totals")).to_contain_text(f"2.440,00{EURO}")
    await expect(page.get_by_role("link", name="Modifica Sito su misura")).to_have_count(0)
    await buy_by_card_from_the_cart(page)

    await page.goto(f"/account/preventivi/{quote_id}")
    await reload_until(page, "Ordinato")


async def test_validation_errors_are_shown_in_italian_next_to_their_field(page: Page):
    # A required answer left empty.
    await open_service(page, "Servizi web", "Manutenzione mensile del sito")
    await page.get_by_label(starts("Essenziale")).check()
    await page.get_by_role("button", name="Aggiungi al carrello").click()
    field = page.get_by_label(starts("Indirizzo del sito"))
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(field).to_have_accessible_description(re.compile("Campo obbligatorio."))
    await expect(page.get_by_role("alert").filter(has_text="Campo obbligatorio.")).to_be_visible()
    await expect(page.get_by_label(starts("Essenziale"))).to_be_checked()  # the other answers are kept
    await shot(page, "14-errore-risposta")
    await page.goto("/carrello")
    await expect(page.get_by_text("Il carrello è vuoto.")).to_be_visible()

    # A codice fiscale that does not check out.
    await register(page)
    await add_dichiarazione(page)
    await page.get_by_role("link", name="PROCEDI ALL'ACQUISTO").click()
    await fill_billing(page, tax_code=BAD_CF)
    await page.get_by_role("button", name="Continua con il pagamento").click()
    cf = page.get_by_label(starts("Codice fiscale"))
    await expect(cf).to_have_accessible_description(re.compile("Il codice fiscale non è valido."))
    await expect(cf).to_have_value(BAD_CF)
    await expect(page.get_by_label(starts("CAP"))).not_to_have_attribute("aria-invalid", "true")
    await shot(page, "15-errore-codice-fiscale")


async def test_every_il_mio_account_page(page: Page, system):
    email = await register(page)
    await page.get_by_role("navigation", name="Principale").get_by_role(
        "link", name="IL MIO ACCOUNT").click()
    await shot(page, "16-il-mio-account")
    for label in ("I MIEI ORDINI", "I MIEI PREVENTIVI", "PROFILO", "DATI DI FATTURAZIONE",
                  "INFORMAZIONI PRIVACY"):
        await page.get_by_role("navigation", name="IL MIO ACCOUNT").get_by_role(
            "link", name=label).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(label)
    await page.goto("/account/ordini")
    await expect(page.get_by_text("Non hai ancora effettuato ordini.")).to_be_visible()
    await page.goto("/account/preventivi")
    await expect(page.get_by_text("Non hai ancora richiesto preventivi.")).to_be_visible()

    # PROFILO: personal data and password.
    await page.goto("/account/profilo")
    await page.get_by_label(starts("Telefono")).fill("+39 333 1234567")
    await page.get_by_role("button", name="Salva", exact=True).click()
    await expect(page.get_by_text("Dati personali aggiornati.")).to_be_visible()
    await expect(page.get_by_label(starts("Telefono"))).to_have_value("+39 333 1234567")
    await page.get_by_label(starts("Password attuale")).fill("non-e-questa-1")
    await page.get_by_label(starts("Nuova password")).fill("nuova-password-sicura-2")
    await page.get_by_label(starts("Ripeti la nuova password")).fill("nuova-password-sicura-2")
    await page.get_by_role("button", name="Cambia password").click()
    await expect(page.get_by_label(starts("Password attuale"))).to_have_attribute("aria-invalid", "true")
    await page.get_by_label(starts("Password attuale")).fill(PASSWORD)
    await page.get_by_label(starts("Nuova password")).fill("nuova-password-sicura-2")
    await page.get_by_label(starts("Ripeti la nuova password")).fill("nuova-password-sicura-2")
    await page.get_by_role("button", name="Cambia password").click()
    await expect(page.get_by_text("Password aggiornata.")).to_be_visible()
    await shot(page, "17-profilo")

    # DATI DI FATTURAZIONE: saved, then shown again.
    await page.goto("/account/fatturazione")
    await fill_billing(page)
    await page.get_by_label(starts("Email per la fattura")).fill(email)
    await page.get_by_role("button", name="Salva i dati di fatturazione").click()
    await expect(page.get_by_text("Dati di fatturazione salvati.")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label(starts("Codice fiscale"))).to_have_value("RSSMRA85T10A562S")
    await shot(page, "18-dati-di-fatturazione")

    # INFORMAZIONI PRIVACY: consents with date, change the optional one, download, delete.
    await page.goto("/account/privacy")
    await expect(page.get_by_text("Informativa privacy").first).to_be_visible()
    await page.get_by_label(starts("Voglio ricevere novità e offerte")).check()
    await page.get_by_role("button", name="Salva le preferenze").click()
    await expect(page.get_by_text("Preferenze sul trattamento dei dati aggiornate.")).to_be_visible()
    await expect(page.get_by_label(starts("Voglio ricevere novità e offerte"))).to_be_checked()
    # The address is not confirmed yet: the choice is kept, and counts once it is.
    await expect(page.get_by_text(starts("Il consenso varrà quando avrai confermato"))).to_be_visible()
    marketing = page.get_by_role("row", name=re.compile("Comunicazioni commerciali"))
    await expect(marketing.last).to_contain_text("Dato")
    await shot(page, "19-privacy")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Scarica i miei dati").click()
    download = await download_info.value
    exported = await asyncio.to_thread((await download.path()).read_text, encoding="utf-8")
    assert email in exported

    await page.get_by_label(starts("Password")).fill("nuova-password-sicura-2")
    await page.get_by_label(starts("Confermo di voler eliminare")).check()
    await page.get_by_role("button", name="Elimina il mio account").click()
    await expect(page.get_by_text("Il tuo account è stato eliminato.")).to_be_visible()
    await page.goto("/accedi")
    await page.get_by_label(starts("Email")).fill(email)
    await page.get_by_label(starts("Password")).fill("nuova-password-sicura-2")
    await page.get_by_role("button", name="Accedi", exact=True).click()
    await expect(page.get_by_text("Email o password non corretti.")).to_be_visible()


async def test_login_is_required_where_it_should_be_and_leads_back(page: Page):
    email = await register(page)
    await page.get_by_role("button", name="Esci").click()
    for path in ("/account", "/account/ordini", "/account/preventivi", "/account/profilo",
                 "/account/fatturazione", "/account/privacy", "/checkout/fatturazione"):
        await page.goto(path)
        await expect(page).to_have_url(re.compile(r"/accedi\?next="))
    await page.goto("/account/preventivi")
    await page.get_by_label(starts("Email")).fill(email)
    await page.get_by_label(starts("Password")).fill(PASSWORD)
    await page.get_by_role("button", name="Accedi", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/account/preventivi$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("I MIEI PREVENTIVI")


async def test_password_reset_from_the_emailed_link(page: Page, system):
    email = await register(page)
    await page.get_by_role("button", name="Esci").click()
    await page.goto("/password-dimenticata")
    await page.get_by_label(starts("Email")).fill(email)
    await page.get_by_role("button", name="Invia il link").click()
    await expect(page.get_by_text("riceverai a breve una email")).to_be_visible()

    async def link():
        for mail in await mails_to(system, email):
            found = re.search(r"https?://\S+/reimposta-password\?token=[\w.~%-]+",
                              (mail.get("text") or "") + (mail.get("html") or ""))
            if found:
                return found.group(0)

    url = await wait_for(link, timeout=15, message="the password reset email")
    assert url.startswith(system.settings.storefront_url)
    await page.goto(url)
    await page.get_by_label(starts("Nuova password")).fill("password-ritrovata-3")
    await page.get_by_label(starts("Ripeti la nuova password")).fill("password-ritrovata-3")
    await page.get_by_role("button", name="Salva la nuova password").click()
    await expect(page.get_by_text("Password aggiornata: ora puoi accedere.")).to_be_visible()
    await page.get_by_label(starts("Email")).fill(email)
    await page.get_by_label(starts("Password")).fill("password-ritrovata-3")
    await page.get_by_role("button", name="Accedi", exact=True).click()
    await expect(page.get_by_text("Bentornato!")).to_be_visible()


async def test_the_keyboard_reaches_the_form_and_adds_to_the_cart(page: Page):
    await page.goto("/servizio/invio-f24-ravvedimento")
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Vai al contenuto")).to_be_focused()
    await page.get_by_label(starts("Numero di modelli F24")).focus()
    await page.keyboard.type("2")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Space")  # "Con ravvedimento operoso"
    await expect(page.get_by_label(starts("Con ravvedimento operoso"))).to_be_checked()
    await expect(page.locator("#prezzo-live")).to_have_text(f"70,00{EURO} + IVA")
    await page.get_by_role("button", name="Aggiungi al carrello").focus()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/carrello$"))
    await expect(page.locator(".line")).to_contain_text("Con ravvedimento operoso")


async def test_a_quoted_request_can_be_declined_with_a_reason(page: Page, system):
    await register(page)
    await open_service(page, "Servizi web", "Sito su misura")
    await page.get_by_label(starts("Descrivi il progetto")).fill("Un'area riservata per i soci.")
    await page.get_by_label(starts("Budget indicativo")).select_option(label="Fino a 5.000 €")
    await page.get_by_role("button", name="RICHIEDI PREVENTIVO").click()
    await page.get_by_role("link", name="PROCEDI ALLA RICHIESTA DI PREVENTIVO").click()
    await page.get_by_role("button", name="RICHIEDI PREVENTIVO").click()
    quote_id = page.url.rsplit("/", 1)[1]
    await page.goto(f"/account/preventivi/{quote_id}")
    await reload_until(page, "Richiesto")
    await StaffApi(system).issue_quote(quote_id, 450000, note="Prezzo per 12 mesi.")
    await reload_until(page, "Preventivo disponibile")
    await page.get_by_label(starts("Motivo del rifiuto")).fill("Fuori budget, grazie.")
    await page.get_by_role("button", name="Rifiuta il preventivo").click()
    await expect(page.get_by_text("Hai rifiutato il preventivo.")).to_be_visible()
    await expect(page.locator(".history")).to_contain_text("Rifiutato da te")
    await expect(page.get_by_role("button", name="Accetta e aggiungi al carrello")).to_have_count(0)


async def test_the_shop_fits_a_phone_screen(browser, system):
    context = await browser.new_context(base_url=system.settings.storefront_url, locale="it-IT",
                                        viewport={"width": 390, "height": 844}, is_mobile=True)
    page = await context.new_page()
    try:
        await page.goto("/servizio/sito-vetrina")
        # Nothing wider than the screen: no sideways scrolling on a phone.
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        await expect(page.get_by_role("button", name="Aggiungi al carrello")).to_be_visible()
        await shot(page, "21-servizio-telefono")
    finally:
        await context.close()
