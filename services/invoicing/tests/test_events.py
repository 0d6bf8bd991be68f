"""order.paid in, one validated FatturaPA invoice out (numbered without gaps), its courtesy PDF to
the owner and staff, and the credit note of a refund — real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import io
import re
import uuid
import xml.etree.ElementTree as ET

import a38.fattura as fa
from a38 import validation
from pypdf import PdfReader
from sportello.testing import EventTap, bearer

NS = {"p": "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"}


async def xml_of(client, staff, invoice_id) -> ET.Element:
    r = await client.get(f"/api/staff/invoices/{invoice_id}/xml", headers=staff)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    assert re.fullmatch(r'attachment; filename="IT01234560157_\d{10}\.xml"',
                        r.headers["content-disposition"])
    return ET.fromstring(r.content)


async def test_a_paid_order_gets_one_invoice_whose_xml_passes_a38_validation(client, orders):
    order = orders.paid()
    async with EventTap(orders.settings, "invoice.issued") as tap:
        event = await orders.publish_paid(order)
        await orders.publish_paid(order, event_id=event.id)     # redelivered
        await orders.publish_paid(order)                          # published again
        issued = await tap.wait_for("invoice.issued", where=lambda d: d["order_id"] == str(order.order_id))
        [invoice] = await orders.wait_invoices(order)
        # A later order through the same queue: the repeats have been handled by the time it is.
        marker = orders.paid()
        await orders.publish_paid(marker)
        await orders.wait_invoices(marker)
    assert len(await orders.invoices_of(order)) == 1
    assert len([e for e in tap.of_type("invoice.issued") if e.data["order_id"] == str(order.order_id)]) == 1
    assert issued[0].data["number"] == invoice["number"] and invoice["type"] == "TD01"
    assert re.fullmatch(r"FT-\d{4}-\d{6}", invoice["number"])
    # Issued, then on its way through SDI (the sandbox delivers unplanned files).
    assert invoice["total_cents"] == 150609 and invoice["status"] in {"issued", "sent", "delivered"}
    root = await xml_of(client, orders.staff, invoice["id"])
    parsed = fa.auto_from_etree(root)
    check = validation.Validation()
    parsed.validate(check)
    assert [str(e) for e in check.errors if "[00426]" not in str(e)] == []
    assert root.find(".//CodiceDestinatario").text == "0000000"
    assert root.find(".//CessionarioCommittente//CodiceFiscale").text == "RSSMRA85T10A562S"
    assert root.find(".//ImportoTotaleDocumento").text == "1506.09"
    assert root.find(".//ModalitaPagamento").text == "MP08"


async def test_the_courtesy_pdf_is_italian_and_only_for_its_owner_and_staff(client, settings, orders):
    order = orders.paid(unit_net_cents=101189, quantity=1, method="bank_transfer")
    await orders.publish_paid(order)
    [invoice] = await orders.wait_invoices(order)
    r = await client.get(f"/api/invoices/{invoice['id']}/pdf", headers=orders.customer(order))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert f"Fattura n. {invoice['number']}" in text
    assert "1.011,89 €" in text and "1.234,51 €" in text   # 1.011,89 € + 22 % (222,62 €)
    assert re.search(r"del \d{1,2} (gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|"
                     r"settembre|ottobre|novembre|dicembre) \d{4}", text)
    assert "Bonifico bancario" in text and "Copia di cortesia" in text
    stranger = bearer(settings, uuid.uuid4())
    assert (await client.get(f"/api/invoices/{invoice['id']}/pdf", headers=stranger)).status_code == 404
    assert (await client.get(f"/api/invoices/{invoice['id']}/pdf")).status_code == 401
    r = await client.get(f"/api/staff/invoices/{invoice['id']}/pdf", headers=orders.staff)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert (await client.get("/api/staff/invoices", headers=orders.customer(order))).status_code == 403


async def test_concurrent_payments_get_consecutive_numbers_without_gaps(client, settings, orders):
    batch = [orders.paid() for _ in range(50)]
    await asyncio.gather(*(orders.publish_paid(o) for o in batch))
    numbers = []
    for order in batch:
        [invoice] = await orders.wait_invoices(order)
        numbers.append(int(invoice["number"].rsplit("-", 1)[1]))
    numbers.sort()
    assert numbers == list(range(numbers[0], numbers[0] + 50))


async def test_a_refund_issues_one_credit_note_referring_to_the_invoice(client, settings, orders):
    order = orders.paid()
    await orders.publish_paid(order)
    [invoice] = await orders.wait_invoices(order)
    await orders.publish_refund(order)
    await orders.publish_refund(order)
    both = await orders.wait_invoices(order, count=2)
    note = next(i for i in both if i["type"] == "TD04")
    root = await xml_of(client, orders.staff, note["id"])
    assert root.find(".//TipoDocumento").text == "TD04"
    assert root.find(".//DatiFattureCollegate/IdDocumento").text == invoice["number"]
    assert note["total_cents"] == invoice["total_cents"]
    marker = orders.paid()
    await orders.publish_paid(marker)
    await orders.wait_invoices(marker)
    assert len([i for i in await orders.invoices_of(order) if i["type"] == "TD04"]) == 1


async def test_a_pro_rata_refund_credits_only_the_refunded_amount(client, settings, orders):
    order = orders.paid()
    await orders.publish_paid(order)
    [invoice] = await orders.wait_invoices(order)
    await orders.publish_refund(order, refund_cents=invoice["total_cents"] // 2)
    both = await orders.wait_invoices(order, count=2)
    note = next(i for i in both if i["type"] == "TD04")
    assert note["total_cents"] == invoice["total_cents"] // 2
    root = await xml_of(client, orders.staff, note["id"])
    assert root.find(".//DatiFattureCollegate/IdDocumento").text == invoice["number"]
