"""The shared tax rule down to the XML: exempt training above 77,47 € → N4 with DatiBollo and the
stamp duty line; a German business → N2.1, no VAT, "inversione contabile"; the VIES check kept."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import a38.fattura as fa
from a38 import validation
from sportello.contracts.billing import Address, Billing
from sportello.contracts.events import PricedLine, ServiceRef
from sportello.contracts.tax import document_totals, taxed_amounts

GERMAN_BUSINESS = Billing(
    customer_type="azienda", company_name="Beispiel GmbH", vat_number="DE136695976",
    address=Address(street="Friedrichstrasse 1", postal_code="10117", city="Berlin", country="DE"),
    email="einkauf@beispiel.de")


def taxed_order(orders, billing: Billing | None, unit: int, rate: int, exemption: str | None,
                **extra):
    """order.paid as orders publishes it: one line taxed for the buyer by the shared rule."""
    order = orders.paid()
    billing = billing or order.billing
    amounts, treatment = taxed_amounts(unit, 1, rate, exemption, billing)
    line = PricedLine(line_id=uuid.uuid4(), service=ServiceRef(
        slug="corso-gdpr-aula", name="Corso privacy e GDPR (in aula)", version=1), answers={},
        answer_labels=[], vat_exemption=exemption, treatment=treatment, **amounts.model_dump())
    return order.model_copy(update={"lines": [line], "billing": billing,
                                    "totals": document_totals([(amounts, treatment)]), **extra})


async def xml_of(client, staff, invoice_id) -> ET.Element:
    r = await client.get(f"/api/staff/invoices/{invoice_id}/xml", headers=staff)
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    check = validation.Validation()
    fa.auto_from_etree(root).validate(check)
    # 00426 (PEC or code for a privato) is the exception the service applies too.
    assert [e for e in check.errors if "00426" not in str(e)] == []
    return root


async def test_exempt_training_above_77_47_is_n4_with_datibollo_and_the_stamp_duty_line(client,
                                                                                        orders):
    order = taxed_order(orders, None, 12_000, 0, "art10_n20")
    assert order.totals.gross_cents == 12_200
    await orders.publish_paid(order)
    [invoice] = await orders.wait_invoices(order)
    assert invoice["total_cents"] == 12_200   # what the customer paid
    root = await xml_of(client, orders.staff, invoice["id"])
    assert root.findtext(".//DatiBollo/BolloVirtuale") == "SI"
    assert root.findtext(".//DatiBollo/ImportoBollo") == "2.00"
    natures = {s.findtext("Natura"): s.findtext("ImponibileImporto")
               for s in root.iter("DatiRiepilogo")}
    assert natures == {"N4": "120.00", "N1": "2.00"}
    assert "art. 10, n. 20" in ET.tostring(root, encoding="unicode")
    assert root.findtext(".//ImportoTotaleDocumento") == "122.00"


async def test_a_german_business_is_n2_1_reverse_charge_without_vat_or_stamp_duty(client, orders):
    order = taxed_order(orders, GERMAN_BUSINESS, 100_000, 2200, None,
                        vat_number_check="not_verified")
    await orders.publish_paid(order)
    [invoice] = await orders.wait_invoices(order)
    assert invoice["total_cents"] == 100_000 and invoice["vat_number_check"] == "not_verified"
    root = await xml_of(client, orders.staff, invoice["id"])
    [summary] = list(root.iter("DatiRiepilogo"))
    assert (summary.findtext("Natura"), summary.findtext("Imposta")) == ("N2.1", "0.00")
    assert "inversione contabile" in ET.tostring(root, encoding="unicode")
    assert root.find(".//DatiBollo") is None
    assert root.findtext(".//CessionarioCommittente//IdPaese") == "DE"
