"""Clienti in the running back office: staff find a customer by email, codice fiscale or name and
open their page with billing data, orders and quotes; nothing found and bad ids never 500."""

from __future__ import annotations

import uuid

from .conftest import BILLING, bank_transfer_order, register, request_quote, staff_login


async def test_staff_find_a_customer_and_see_their_orders_and_quotes(office, api, system):
    customer = await register(api)
    r = await api.put("/api/accounts/me/billing", json=BILLING, headers=customer.headers)
    assert r.status_code == 200, r.text
    order = await bank_transfer_order(api, customer)
    quote = await request_quote(api, customer)
    await staff_login(office, system)

    page = (await office.get("/clienti", params={"q": customer.email.upper()})).text
    assert "Maria Bianchi" in page and customer.email in page and "RSSMRA85T10A562S" in page
    # A codice fiscale typed in lower case finds them too (among others with the same data).
    assert customer.email in (await office.get("/clienti", params={"q": "rssmra85t10a562s"})).text

    start = page.index('href="/clienti/') + len('href="')
    path = page[start:page.index('"', start)]
    detail = (await office.get(path)).text
    assert "Dati di fatturazione" in detail and "RSSMRA85T10A562S" in detail
    assert "Via Roma 1, 20121 Milano (MI)" in detail
    assert order["number"] in detail and f'href="/ordini/{order["id"]}"' in detail
    assert quote["number"] in detail and "Da prezzare" in detail


async def test_a_search_with_no_match_and_unknown_customers_are_pages_not_errors(office, system):
    await staff_login(office, system)
    r = await office.get("/clienti", params={"q": "nessuno-" + uuid.uuid4().hex})
    assert r.status_code == 200 and "Nessun cliente trovato per «nessuno-" in r.text
    r = await office.get("/clienti", params={"q": "x" * 500, "cursor": "%%%"})
    assert r.status_code == 200
    assert (await office.get(f"/clienti/{uuid.uuid4()}")).status_code == 404
    assert (await office.get("/clienti/non-un-id")).status_code == 404


async def test_without_a_staff_login_clienti_is_not_reachable(office):
    r = await office.get("/clienti")
    assert r.status_code == 303 and r.headers["location"].startswith("/accedi?next=")
