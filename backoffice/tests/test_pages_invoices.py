"""Fatture in the running back office: an invoice SDI rejected is listed under its status with
its error, its PDF and XML come as attachments, "Reinvia" sends it again and a second try is
refused in Italian; every order page links its invoices."""

from __future__ import annotations

import random
import re
import string

from sportello.testing import wait_for
from sportello.testing.forms import csrf_of

from .conftest import bank_transfer_order, confirm_transfer, plan_sdi, register, staff_login


async def test_staff_find_a_rejected_invoice_download_it_and_resend_it(office, api, system):
    surname = "Scarti" + "".join(random.choices(string.ascii_lowercase, k=8))
    await plan_sdi(system, surname, "NS", "RC")
    customer = await register(api)
    order = await bank_transfer_order(api, customer, last_name=surname)
    await staff_login(office, system)
    await confirm_transfer(office, order["id"])

    async def listed():
        page = (await office.get("/fatture?stato=rejected")).text
        return page if order["number"] in page else None

    page = await wait_for(listed, timeout=25, message="rejected invoice listed")
    assert "<h2>Scartata da SDI</h2>" in page
    row = re.search(rf'<tr>(?:(?!</tr>).)*{re.escape(order["number"])}(?:(?!</tr>).)*</tr>', page, re.S)
    assert row and "Scartata da SDI" in row.group(0)
    invoice_id = re.search(r'/fatture/([0-9a-f-]{36})/pdf', row.group(0)).group(1)

    pdf = await office.get(f"/fatture/{invoice_id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment")
    assert pdf.headers["x-content-type-options"] == "nosniff"
    xml = await office.get(f"/fatture/{invoice_id}/xml")
    assert xml.status_code == 200 and b"FatturaElettronica" in xml.content
    assert xml.headers["content-disposition"].startswith("attachment")
    assert ".xml" in xml.headers["content-disposition"]

    # The order's page lists its invoice with a PDF link.
    order_page = (await office.get(f"/ordini/{order['id']}")).text
    assert f'href="/fatture/{invoice_id}/pdf"' in order_page

    r = await office.post(f"/fatture/{invoice_id}/reinvia",
                          data={"csrf_token": csrf_of(page), "stato": "rejected"})
    assert r.status_code == 303 and r.headers["location"] == "/fatture?stato=rejected"
    page = (await office.get(r.headers["location"])).text
    assert "inviata di nuovo a SDI." in page

    async def delivered():
        page = (await office.get("/fatture?stato=delivered")).text
        return page if order["number"] in page else None

    await wait_for(delivered, timeout=25, message="resent invoice delivered")
    # Delivered now: Reinvia again is the service's 409, said in Italian, nothing resent.
    r = await office.post(f"/fatture/{invoice_id}/reinvia",
                          data={"csrf_token": csrf_of(page), "stato": "delivered"})
    assert r.status_code == 303
    page = (await office.get(r.headers["location"])).text
    assert 'class="notice notice-error" role="alert">La fattura è consegnata' in page


async def test_the_invoice_list_takes_any_filter_and_an_unknown_file_is_a_404(office, system):
    await staff_login(office, system)
    for query in ("", "?stato=rejected", "?stato=inventato", "?cursor=rotto", "?stato=sent&cursor=x"):
        r = await office.get(f"/fatture{query}")
        assert r.status_code == 200 and "<h1>Fatture</h1>" in r.text, query
    for path in ("/fatture/non-un-id/pdf", "/fatture/00000000-0000-0000-0000-000000000000/xml",
                 "/fatture/..%2F..%2Faccounts/pdf"):
        r = await office.get(path)
        assert r.status_code == 404 and "Pagina non trovata" in r.text, path
