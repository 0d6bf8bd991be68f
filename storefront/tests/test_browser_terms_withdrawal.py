"""Conditions of sale and the consumer's withdrawal in Debian's chromium (issue 22, items 1-2):
the footer's page, the checkboxes before COMPLETA L'ACQUISTO, RECEDI in I MIEI ORDINI, the
emails, staff's pro-rata refund. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect
from sportello.contracts.legal import TERMS_VERSION
from sportello.testing import wait_for

from .shop_steps import (
    StaffApi,
    accept_terms,
    fill_billing,
    mails_to,
    open_service,
    register,
    reload_until,
    shot,
    starts,
)

expect.set_options(timeout=15_000)
EURO = "\xa0€"


async def buy_by_transfer(page: Page, *, early_start: bool) -> str:
    """A privato buys the Dichiarazione by bank transfer; the order's id."""
    await open_service(page, "Consulenza fiscale", "Dichiarazione dei redditi")
    await page.get_by_label(starts("Modello 730")).check()
    await page.get_by_role("button", name="Aggiungi al carrello").click()
    await page.get_by_role("link", name="PROCEDI ALL'ACQUISTO").click()
    await fill_billing(page)
    await page.get_by_role("button", name="Continua con il pagamento").click()
    await page.get_by_label(starts("Bonifico bancario")).check()
    early = page.get_by_label(re.compile("inizi prima della fine del periodo di recesso"))
    await expect(early).not_to_be_checked()  # unticked unless the customer asks
    if early_start:
        await early.check()
    await accept_terms(page)
    await page.get_by_role("button", name="COMPLETA L'ACQUISTO").click()
    await expect(page.get_by_role("heading", name="Ordine ricevuto")).to_be_visible()
    return re.search(r"/ordini/([0-9a-f-]{36})/esito", page.url).group(1)


async def mail_with(system, email: str, subject: str) -> dict:
    async def found():
        return next((m for m in await mails_to(system, email) if subject in m["subject"]), None)

    return await wait_for(found, timeout=45, message=f"email «{subject}» to {email}")


async def test_the_terms_are_versioned_in_the_footer_required_and_kept_on_the_order(page: Page,
                                                                                    system):
    await page.goto("/")
    await page.get_by_role("contentinfo").get_by_role("link", name="Condizioni di vendita").click()
    await expect(page.get_by_role("heading", name="Condizioni di vendita")).to_be_visible()
    await expect(page.get_by_text(f"Versione {TERMS_VERSION} (in vigore)")).to_be_visible()
    await expect(page.get_by_role("heading", name="7. Diritto di recesso (solo consumatori)")
                 ).to_be_visible()
    await shot(page, "40-condizioni-di-vendita")

    email = await register(page)
    await open_service(page, "Consulenza fiscale", "Dichiarazione dei redditi")
    await page.get_by_label(starts("Modello 730")).check()
    await page.get_by_role("button", name="Aggiungi al carrello").click()
    await page.get_by_role("link", name="PROCEDI ALL'ACQUISTO").click()
    await fill_billing(page)
    await page.get_by_role("button", name="Continua con il pagamento").click()
    await page.get_by_label(starts("Bonifico bancario")).check()
    # Without the acceptance nothing is bought: the page says what is missing.
    await page.get_by_role("button", name="COMPLETA L'ACQUISTO").click()
    await expect(page.get_by_text("Per completare l'acquisto accetta le condizioni di vendita.")
                 ).to_be_visible()
    await expect(page.get_by_role("heading", name="Pagamento", exact=True)).to_be_visible()
    await shot(page, "41-condizioni-obbligatorie")
    await page.get_by_label(starts("Bonifico bancario")).check()
    await page.get_by_label(re.compile("inizi prima della fine del periodo di recesso")).check()
    await accept_terms(page)
    await shot(page, "42-consensi-prima-di-completa")
    await page.get_by_role("button", name="COMPLETA L'ACQUISTO").click()
    await expect(page.get_by_role("heading", name="Ordine ricevuto")).to_be_visible()
    order_id = re.search(r"/ordini/([0-9a-f-]{36})/esito", page.url).group(1)

    await page.goto(f"/account/ordini/{order_id}")
    terms = page.get_by_role("region", name="Condizioni di vendita")
    await expect(terms.get_by_role("link", name=f"versione {TERMS_VERSION}")).to_have_attribute(
        "href", f"/condizioni-di-vendita/{TERMS_VERSION}")
    await expect(terms).to_contain_text("Inizio del servizio prima della fine del periodo di "
                                        "recesso chiesto il")
    await shot(page, "43-ordine-con-condizioni")

    received = await mail_with(system, email, "ricevuto")
    link = f"/condizioni-di-vendita/{TERMS_VERSION}"
    assert link in received["text"] and "notifichiamo il recesso" in received["text"]


async def test_a_consumer_withdraws_from_i_miei_ordini_and_staff_refund_pro_rata(page: Page,
                                                                                 system):
    email = await register(page)
    order_id = await buy_by_transfer(page, early_start=True)
    staff = StaffApi(system)
    await staff.confirm_transfer(order_id)

    await page.goto("/account/ordini")
    await reload_until(page, "Pagato", timeout=40)
    await shot(page, "44-i-miei-ordini-recedi")
    await page.get_by_role("link", name=re.compile("^Recedi dall'ordine")).click()
    await expect(page.get_by_role("heading", name="Diritto di recesso")).to_be_visible()
    await page.get_by_label(starts("Motivo (facoltativo)")).fill("Ho trovato un altro studio.")
    await shot(page, "45-modulo-recesso")
    await page.get_by_role("button", name="RECEDI").click()
    await expect(page.get_by_text("Recesso inviato")).to_be_visible()
    await expect(page.locator(".status").first).to_have_text("Recesso richiesto")
    await expect(page.get_by_role("button", name="RECEDI")).to_have_count(0)
    await shot(page, "46-recesso-richiesto")

    ack = await mail_with(system, email, "abbiamo ricevuto il tuo recesso")
    assert "Ho trovato un altro studio." in ack["text"]
    alert = await mail_with(system, system.settings.staff_email, "Recesso dall'ordine")
    assert "Ho trovato un altro studio." in alert["text"] and "art. 57" in alert["text"]

    too_much = await staff.refund(order_id, {"amount_cents": 7321, "note": "x"})
    assert too_much.status_code == 422
    done = await staff.refund(order_id, {"amount_cents": 5000,
                                         "note": "Trattenuta la parte di pratica già svolta."})
    assert done.status_code == 200, done.text
    await reload_until(page, "Rimborsato", timeout=40)
    await expect(page.get_by_text(f"Rimborso eseguito: 50,00{EURO}")).to_be_visible()
    await shot(page, "47-rimborsato")
    refunded = await mail_with(system, email, "rimborsato")
    assert "Importo rimborsato: 50,00" in refunded["text"]


async def test_no_recedi_for_an_azienda(page: Page):
    await register(page)
    await open_service(page, "Consulenza fiscale", "Dichiarazione dei redditi")
    await page.get_by_label(starts("Modello 730")).check()
    await page.get_by_role("button", name="Aggiungi al carrello").click()
    await page.get_by_role("link", name="PROCEDI ALL'ACQUISTO").click()
    await page.get_by_label(starts("Azienda")).check()
    await page.get_by_label(starts("Ragione sociale")).fill("Bianchi S.r.l.")
    await page.get_by_label(starts("Partita IVA")).fill("12345670017")
    await page.get_by_label(starts("Codice destinatario")).fill("ABC1234")
    await page.get_by_label(starts("Indirizzo")).fill("Via Roma 1")
    await page.get_by_label(starts("CAP")).fill("20121")
    await page.get_by_label(starts("Città")).fill("Milano")
    await page.get_by_label(starts("Provincia (sigla)")).fill("MI")
    await page.get_by_role("button", name="Continua con il pagamento").click()
    await expect(page.get_by_role("heading", name="Pagamento", exact=True)).to_be_visible()
    # No withdrawal period to waive for an azienda: only the terms.
    await expect(page.get_by_label(re.compile("inizi prima della fine del periodo di recesso"))
                 ).to_have_count(0)
    await shot(page, "48-azienda-solo-condizioni")
