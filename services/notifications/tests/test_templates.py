"""Every template renders, from a realistic event, to an Italian HTML and text pair."""

from __future__ import annotations

import notifications_samples as samples
import pytest
from sportello.settings import Settings
from sportello_notifications import drafts
from sportello_notifications.emails import render, template_names

SAMPLES = {
    "account.registered": samples.account_registered,
    "account.password_reset_requested": samples.password_reset_requested,
    "account.password_changed": samples.password_changed,
    "account.email_change_requested": samples.email_change_requested,
    "order.placed": lambda: samples.order_placed(bank_transfer=True),
    "order.paid": samples.order_paid,
    "order.payment_failed": samples.order_payment_failed,
    "order.payment_needs_staff": samples.order_payment_needs_staff,
    "order.status_changed": samples.order_status_changed,
    "order.cancelled": samples.order_cancelled,
    "order.withdrawal_requested": samples.order_withdrawal_requested,
    "quote.requested": samples.quote_requested,
    "quote.issued": samples.quote_issued,
    "quote.rejected": samples.quote_rejected,
    "quote.expired": samples.quote_expired,
    "quote.message_posted": samples.quote_message_posted,
    "quote.changes_requested": samples.quote_changes_requested,
    "quote.expiring": samples.quote_expiring,
    "quote.pricing_overdue": samples.quote_pricing_overdue,
    "invoice.issued": samples.invoice_issued,
    "invoice.rejected": samples.invoice_rejected,
    "document.delivered": samples.document_delivered,
}
# Events whose emails depend on the payload: the other variants, rendered too.
VARIANTS = [("quote.message_posted", lambda: samples.quote_message_posted(author="customer")),
            ("order.withdrawal_requested",
             lambda: samples.order_withdrawal_requested(early_start=True)),
            ("document.delivered", lambda: samples.document_delivered(on_quote=True))]
INVOICE_PDF = "https://shop.example.it/account/fatture/"
SETTINGS = Settings(business_name="Studio Rossi S.r.l.", storefront_url="https://shop.example.it")


def rendered_by_template():
    out = {}
    for event_type, make in [*SAMPLES.items(), *VARIANTS]:
        for d in drafts.BY_EVENT[event_type](make(), SETTINGS):
            common = {"business": SETTINGS.business_name, "shop_url": SETTINGS.storefront_url}
            out[d.template] = render(d.template, {**common, **d.context})
    return out


RENDERED = rendered_by_template()


def test_every_template_is_reached_by_some_event():
    assert set(RENDERED) == set(template_names())


@pytest.mark.parametrize("template", sorted(RENDERED))
def test_template_renders_a_complete_italian_email(template):
    r = RENDERED[template]
    assert r.subject and "\n" not in r.subject
    for part in (r.text, r.html):
        assert "Studio Rossi S.r.l." in part  # the base layout: name and footer
        assert "non rispondere" in part
        assert "None" not in part and "{{" not in part
    assert r.html.startswith("<!doctype html>") and '<html lang="it">' in r.html
    assert "https://shop.example.it" in r.text


def test_amounts_with_thousands_are_in_italian_format():
    text = RENDERED["ordine_confermato"].text
    assert "2 × 125,00 € + IVA 22% (55,00 €) = 305,00 €" in text
    assert "Totale: 1.540,01 €" in text


def test_a_message_in_a_quote_goes_to_the_other_side():
    posted = samples.quote_message_posted("staff")
    staff_wrote = drafts.quote_message_posted(posted, SETTINGS)
    customer_wrote = drafts.quote_message_posted(samples.quote_message_posted("customer"), SETTINGS)
    assert [d.recipient for d in staff_wrote] == [posted.customer.email]
    assert [d.audience for d in customer_wrote] == ["staff"]
    assert RENDERED["preventivo_messaggio"].subject.startswith(
        "Hai un nuovo messaggio sul preventivo PR-2026-")
    assert "https://shop.example.it/account/preventivi/" in RENDERED["preventivo_messaggio"].text


def test_the_staff_alert_shows_the_budget_and_the_wished_for_date():
    text = RENDERED["staff_nuovo_preventivo"].text
    assert "Budget indicativo: 1.500,00 €" in text
    assert "Desiderato entro il 18 dicembre 2026" in text


def test_the_invoice_email_links_its_pdf_and_its_order():
    r = RENDERED["fattura_emessa"]
    assert r.subject.startswith("Fattura n. FT-2026-000042")
    assert INVOICE_PDF in r.text and "/pdf" in r.text
    assert "https://shop.example.it/account/ordini/" in r.text


def test_the_order_email_shows_the_stamp_duty_and_the_reverse_charge_note():
    from sportello.contracts.tax import REVERSE_CHARGE_EU

    placed = samples.order_placed()
    taxed = placed.model_copy(update={"totals": placed.totals.model_copy(update={
        "stamp_duty_cents": 200, "gross_cents": placed.totals.gross_cents + 200,
        "notes": [REVERSE_CHARGE_EU]})})
    [d] = drafts.order_placed(taxed, SETTINGS)
    r = render(d.template, {"business": SETTINGS.business_name, "shop_url": SETTINGS.storefront_url,
                            **d.context})
    for part in (r.text, r.html):
        assert "Imposta di bollo" in part and "2,00 €" in part
        assert "IVA: inversione contabile, art. 7-ter DPR 633/72" in part
@pytest.mark.parametrize("template", sorted(RENDERED))
def test_a_business_name_ending_in_a_period_gets_no_second_one(template):
    r = RENDERED[template]
    for part in (r.subject, r.text, r.html):
        assert "S.r.l.." not in part


def test_the_order_confirmation_links_the_accepted_terms_and_holds_the_withdrawal_form():
    placed = samples.order_placed()
    [mail] = [d for d in drafts.order_placed(placed, SETTINGS) if d.template == "ordine_ricevuto"]
    r = render(mail.template, {"business": SETTINGS.business_name,
                               "shop_url": SETTINGS.storefront_url, **mail.context})
    link = f"https://shop.example.it/condizioni-di-vendita/{placed.terms.version}"
    assert link in r.text and f'href="{link}"' in r.html
    for part in (r.text, r.html):
        assert "Modulo di recesso tipo".lower() in part.lower()
        assert "notifichiamo il recesso" in part and placed.number in part
        assert "Studio Rossi S.r.l." in part  # the addressee of the form


def test_an_azienda_s_confirmation_has_no_withdrawal_form():
    placed = samples.order_placed().model_copy(update={"withdrawal_until": None})
    [mail] = [d for d in drafts.order_placed(placed, SETTINGS) if d.template == "ordine_ricevuto"]
    r = render(mail.template, {"business": SETTINGS.business_name,
                               "shop_url": SETTINGS.storefront_url, **mail.context})
    assert "recesso" not in r.text.lower()


def test_a_withdrawal_tells_the_customer_and_alerts_staff():
    made = drafts.order_withdrawal_requested(samples.order_withdrawal_requested(), SETTINGS)
    assert [(d.template, d.audience) for d in made] == [
        ("recesso_ricevuto", "customer"), ("staff_recesso_da_rimborsare", "staff")]
    assert made[1].recipient == SETTINGS.staff_email


def test_a_delivered_file_is_announced_with_a_link_to_the_order_not_the_file():
    r = RENDERED["servizio_pronto"]
    assert "Il tuo servizio è pronto" in r.subject
    assert "traduzione-giurata.pdf" in r.text and "I MIEI" in r.text
    assert "https://shop.example.it/account/" in r.text
    assert "/api/documents/" not in r.text + r.html
