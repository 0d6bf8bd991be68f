"""Nuovo preventivo in the running back office: staff start a quote for a customer from their
page, with a catalog service and a free line priced by hand; the customer has it, quoted, with
the email; a bad form comes back in Italian and creates nothing; only staff get in."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
from sportello.formatting import eur
from sportello.testing import wait_for
from sportello.testing.forms import post_form

from .conftest import (
    BILLING,
    CUSTOMER_PASSWORD,
    QUOTE_ANSWERS,
    SU_MISURA,
    Customer,
    register,
    staff_headers,
    staff_login,
)


async def customer_id_of(api: httpx.AsyncClient, customer: Customer) -> str:
    r = await api.get("/api/accounts/me", headers=customer.headers)
    assert r.status_code == 200, r.text
    return r.json()["id"]


async def quotes_know(api: httpx.AsyncClient, system, customer_id: str) -> None:
    """Wait until quotes has the customer from account.registered: a probe with a past validity
    is refused on the date once the customer is known (on customer_id before), creating nothing."""
    headers = await staff_headers(api, system)
    probe = {"customer_id": customer_id, "valid_until": "2000-01-01",
             "lines": [{"description": "Sonda", "unit_net_cents": 100}]}

    async def known():
        r = await api.post("/api/staff/quotes", json=probe, headers=headers)
        assert r.status_code == 422, r.text
        return all(e["field"] != "customer_id" for e in r.json()["errors"])

    await wait_for(known, timeout=20, message=f"quotes knows customer {customer_id}")


async def own_quotes(api: httpx.AsyncClient, customer: Customer) -> list[dict]:
    r = await api.get("/api/quotes", headers=customer.headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def ready_customer(api, system) -> tuple[Customer, str]:
    customer = await register(api)
    r = await api.put("/api/accounts/me/billing", json=BILLING, headers=customer.headers)
    assert r.status_code == 200, r.text
    customer_id = await customer_id_of(api, customer)
    await quotes_know(api, system, customer_id)
    return customer, customer_id


def in_days(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


async def test_staff_create_a_quote_with_a_service_and_a_free_line_for_a_customer(
        office, api, system):
    customer, customer_id = await ready_customer(api, system)
    await staff_login(office, system)
    detail = (await office.get(f"/clienti/{customer_id}")).text
    form_path = f"/clienti/{customer_id}/nuovo-preventivo"
    assert f'href="{form_path}"' in detail and "Nuovo preventivo" in detail

    page = (await office.get(form_path)).text
    assert f'<option value="{SU_MISURA}"' in page and 'name="righe.4.prezzo"' in page
    # The chosen service's questions, asked before sending (nothing is created by this).
    r = await post_form(office, form_path, form_path,
                        {"azione": "domande", "righe.0.servizio": SU_MISURA})
    assert r.status_code == 200 and 'name="righe.0.answers.progetto"' in r.text
    assert await own_quotes(api, customer) == []

    r = await post_form(office, form_path, form_path, {
        "azione": "invia",
        "righe.0.servizio": SU_MISURA, "righe.0.quantita": "1", "righe.0.prezzo": "1.200,50",
        **{f"righe.0.answers.{k}": v for k, v in QUOTE_ANSWERS.items()},
        "righe.1.servizio": "", "righe.1.descrizione": "Hosting annuale",
        "righe.1.quantita": "2", "righe.1.prezzo": "150",
        "righe.2.quantita": "1",  # an empty row: ignored
        "valid_until": in_days(20), "note": "Come d'accordo al telefono."})
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith("/preventivi/")
    quote_id = location.rsplit("/", 1)[1]

    shown = (await office.get(location)).text
    assert "creato e inviato al cliente" in shown and "Inviato al cliente" in shown
    assert "Sito su misura" in shown and "Hosting annuale × 2" in shown
    # 1.200,50 + 2 × 150,00 net, 22 % VAT on each line.
    assert eur(150050) in shown and eur(26411 + 6600) in shown and eur(150050 + 33011) in shown

    mine = await own_quotes(api, customer)
    assert [(q["id"], q["status"]) for q in mine] == [(quote_id, "quoted")]
    r = await api.get(f"/api/quotes/{quote_id}", headers=customer.headers)
    quote = r.json()
    assert quote["totals"]["gross_cents"] == 183061 and quote["staff_note"] == "Come d'accordo al telefono."
    # Taxed for the billing data the customer saved, as the issue form sends them.
    assert quote["billing"]["tax_code"] == BILLING["tax_code"]

    async def mailed():
        async with httpx.AsyncClient(base_url=system.settings.mail_sink_url, timeout=5) as sink:
            r = await sink.get("/api/messages", params={"to": customer.email,
                                                        "subject": quote["number"]})
            return r.json()["items"]

    mails = await wait_for(mailed, timeout=20, message="the preventivo pronto email")
    assert "è pronto" in mails[0]["subject"]


async def test_a_bad_form_comes_back_in_italian_and_creates_no_quote(office, api, system):
    customer, customer_id = await ready_customer(api, system)
    await staff_login(office, system)
    form_path = f"/clienti/{customer_id}/nuovo-preventivo"

    # Nothing filled in: the page says what is missing.
    r = await post_form(office, form_path, form_path, {"azione": "invia", "valid_until": in_days(10)})
    assert r.status_code == 422 and "Aggiungi almeno una riga" in r.text

    # A price that is not an amount: the back office's own check, next to the row's price.
    r = await post_form(office, form_path, form_path, {
        "azione": "invia", "righe.0.descrizione": "Analisi dei requisiti",
        "righe.0.quantita": "1", "righe.0.prezzo": "mille euro", "valid_until": in_days(10)})
    assert r.status_code == 422
    assert 'id="errore-righe-0-prezzo"' in r.text and "ad esempio 1.250,00" in r.text
    assert 'value="Analisi dei requisiti"' in r.text and 'value="mille euro"' in r.text

    # A free line without description and a past date: quotes' 422, each next to its field.
    r = await post_form(office, form_path, form_path, {
        "azione": "invia", "righe.0.descrizione": "Analisi dei requisiti",
        "righe.0.quantita": "1", "righe.0.prezzo": "300",
        "righe.3.quantita": "2", "righe.3.prezzo": "80,00",
        "valid_until": "2020-01-31", "note": "Da tenere"})
    assert r.status_code == 422, r.text
    page = r.text
    assert 'id="errore-righe-3-descrizione"' in page
    assert "Indica il servizio del catalogo o una descrizione della voce." in page
    assert 'id="errore-valid_until"' in page and "non può essere nel passato" in page
    assert 'id="errore-righe-0-descrizione"' not in page
    assert 'value="80,00"' in page and 'value="2020-01-31"' in page and "Da tenere" in page

    # A service's question left unanswered: its error next to the question, in its row.
    r = await post_form(office, form_path, form_path, {
        "azione": "invia", "righe.1.servizio": SU_MISURA, "righe.1.quantita": "1",
        "righe.1.prezzo": "900", "valid_until": in_days(10)})
    assert r.status_code == 422, r.text
    assert 'id="errore-righe-1-answers-progetto"' in r.text

    assert await own_quotes(api, customer) == []


async def test_only_staff_open_nuovo_preventivo(office, api, system):
    customer, customer_id = await ready_customer(api, system)
    form_path = f"/clienti/{customer_id}/nuovo-preventivo"
    r = await office.get(form_path)
    assert r.status_code == 303 and r.headers["location"].startswith("/accedi?next=")

    # A customer's correct password is refused at the door, and the page stays closed.
    r = await post_form(office, "/accedi", "/accedi",
                        {"email": customer.email, "password": CUSTOMER_PASSWORD})
    assert "Accesso riservato allo staff." in r.text
    r = await office.get(form_path)
    assert r.status_code == 303 and r.headers["location"].startswith("/accedi?next=")
    r = await office.post(form_path, data={"azione": "invia", "righe.0.descrizione": "X",
                                           "righe.0.prezzo": "10", "valid_until": in_days(5)})
    assert r.status_code in (303, 400)
    assert await own_quotes(api, customer) == []

    # Staff reach it; a post without the page's CSRF token is refused, as on every form.
    await staff_login(office, system)
    assert (await office.get(form_path)).status_code == 200
    r = await office.post(form_path, data={"azione": "invia", "righe.0.descrizione": "X",
                                           "righe.0.prezzo": "10", "valid_until": in_days(5),
                                           "csrf_token": "contraffatto"})
    assert r.status_code == 400 and "Modulo scaduto" in r.text
    assert await own_quotes(api, customer) == []
    # An unknown customer is the 404 page.
    assert (await office.get(f"/clienti/{uuid.uuid4()}/nuovo-preventivo")).status_code == 404
    assert (await office.get("/clienti/non-un-id/nuovo-preventivo")).status_code == 404
