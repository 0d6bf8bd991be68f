"""Invoices without a database: each customer kind gets the treatment, totals, stamp duty and
FatturaPA XML the law asks for, and a38's validation passes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest
from sportello.contracts.billing import Address, Billing
from sportello.contracts.money import vat_cents
from sportello_invoicing import domain, fatturapa

SELLER = domain.Seller(name="Sportello Servizi S.r.l.", vat_number="01234560157",
                       tax_code="01234560157", regime="RF01", street="Via Roma 1",
                       postal_code="20121", city="Milano", province="MI", rea_office="MI",
                       rea_number="1234567", email="info@sportello.example",
                       iban="IT60X0542811101000000123456")
NS = {"p": "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"}


def order_line(name="Traduzione giurata", unit=61725, qty=2, rate=2200, exemption=None):
    return {"service": {"slug": "x", "name": name, "version": 1}, "quantity": qty,
            "unit_net_cents": unit, "vat_rate_bp": rate, "vat_exemption": exemption,
            "answer_labels": [{"label": "Lingua", "value": "Inglese"},
                              {"label": "Cartelle", "value": "4"}]}


def privato() -> Billing:
    return Billing(customer_type="privato", first_name="Mario", last_name="Rossi",
                   tax_code="RSSMRA85T10A562S",
                   address=Address(street="Via Verdi 2", postal_code="20121", city="Milano",
                                   province="MI", country="IT"), email="mario@example.it")


def azienda_de() -> Billing:
    return Billing(customer_type="azienda", company_name="Muster GmbH", vat_number="DE136695976",
                   address=Address(street="Hauptstraße 5", postal_code="10115", city="Berlin",
                                   country="DE"), email="buch@muster.de")


def azienda_it(sdi="M5UXCR1", pec=None) -> Billing:
    return Billing(customer_type="azienda", company_name="Rossi & Figli S.r.l.",
                   vat_number="01234560157", sdi_code=sdi, pec=pec,
                   address=Address(street="Corso Italia 10", postal_code="00184", city="Roma",
                                   province="RM", country="IT"), email="amm@rossi.it")


def document(billing: Billing, lines: list[dict], method="card", charged=True) -> domain.Document:
    return domain.Document(kind=domain.INVOICE, number="FT-2026-000001", issued_on=date(2026, 12, 1),
                           seller=SELLER, buyer=billing,
                           lines=domain.invoice_lines(lines, billing, charged),
                           payment_method=method, stamp_duty_charged=charged)


def parsed(doc: domain.Document) -> ET.Element:
    return ET.fromstring(fatturapa.to_xml(doc, "00001"))


def text(root: ET.Element, path: str) -> list[str]:
    return [e.text for e in root.iterfind(path, NS)]


def test_a_privato_gets_vat_the_codice_fiscale_and_the_consumer_code():
    doc = document(privato(), [order_line()])
    assert (doc.net_cents, doc.vat_cents, doc.total_cents) == (123450, 27159, 150609)
    root = parsed(doc)
    assert text(root, ".//CodiceDestinatario") == ["0000000"]
    assert text(root, ".//CessionarioCommittente//CodiceFiscale") == ["RSSMRA85T10A562S"]
    assert text(root, ".//DatiRiepilogo/AliquotaIVA") == ["22.00"]
    assert text(root, ".//DatiRiepilogo/Imposta") == ["271.59"]
    assert text(root, ".//ImportoTotaleDocumento") == ["1506.09"]
    assert text(root, ".//ModalitaPagamento") == ["MP08"]
    assert text(root, ".//DettaglioLinee/Descrizione") == [
        "Traduzione giurata — Lingua: Inglese; Cartelle: 4"]
    assert root.get("versione") == "FPR12"


def test_exempt_training_above_77_47_is_n4_with_the_stamp_duty_charged_as_its_own_line():
    doc = document(privato(), [order_line("Corso accreditato", 9000, 1, 2200, "art10_n20")],
                   method="bank_transfer")
    assert doc.stamp_duty_due and doc.vat_cents == 0
    assert [ln.description for ln in doc.lines] == ["Corso accreditato — Lingua: Inglese; Cartelle: 4",
                                                    domain.STAMP_DUTY_LINE]
    assert doc.total_cents == 9200
    root = parsed(doc)
    assert text(root, ".//DatiBollo/BolloVirtuale") == ["SI"]
    assert text(root, ".//DatiBollo/ImportoBollo") == ["2.00"]
    assert text(root, ".//DettaglioLinee/Natura") == ["N4", "N1"]
    assert "art. 10, n. 20" in text(root, ".//DatiRiepilogo/RiferimentoNormativo")[0]
    assert text(root, ".//ModalitaPagamento") == ["MP05"]
    assert text(root, ".//IBAN") == ["IT60X0542811101000000123456"]


def test_below_the_threshold_or_not_charged_there_is_no_stamp_duty_line():
    below = document(privato(), [order_line("Corso", 7747, 1, 2200, "art10_n20")])
    assert not below.stamp_duty_due and len(below.lines) == 1
    not_charged = document(privato(), [order_line("Corso", 9000, 1, 2200, "art10_n20")],
                           charged=False)
    # The seller still owes it: DatiBollo is in the XML, the customer is not charged.
    assert not_charged.stamp_duty_due and not_charged.total_cents == 9000
    assert text(parsed(not_charged), ".//DatiBollo/ImportoBollo") == ["2.00"]


def test_a_german_business_is_reverse_charged_n2_1_with_net_totals():
    doc = document(azienda_de(), [order_line()])
    assert (doc.vat_cents, doc.total_cents, doc.reverse_charge) == (0, 123450, True)
    root = parsed(doc)
    assert text(root, ".//CodiceDestinatario") == ["XXXXXXX"]
    assert text(root, ".//CessionarioCommittente//IdPaese") == ["DE"]
    assert text(root, ".//CessionarioCommittente//IdCodice") == ["136695976"]
    assert text(root, ".//DatiRiepilogo/Natura") == ["N2.1"]
    assert any("Inversione contabile" in c for c in text(root, ".//Causale"))
    assert not text(root, ".//DatiBollo/ImportoBollo")


@pytest.mark.parametrize(("sdi", "pec", "code", "pec_out"),
                         [("M5UXCR1", None, "M5UXCR1", []), ("0000000", "amm@pec.rossi.it", "0000000",
                                                             ["amm@pec.rossi.it"])])
def test_an_italian_business_gets_its_sdi_code_or_its_pec(sdi, pec, code, pec_out):
    root = parsed(document(azienda_it(sdi, pec), [order_line()]))
    assert text(root, ".//CodiceDestinatario") == [code]
    assert text(root, ".//PECDestinatario") == pec_out
    assert text(root, ".//CessionarioCommittente//IdCodice") == ["01234560157"]


def test_a_credit_note_cancels_its_invoice_and_refers_to_it():
    invoice = document(privato(), [order_line()])
    note = domain.credit_note_of(invoice, "FT-2026-000002", date(2026, 12, 5))
    root = parsed(note)
    assert text(root, ".//TipoDocumento") == ["TD04"]
    assert text(root, ".//DatiFattureCollegate/IdDocumento") == ["FT-2026-000001"]
    assert text(root, ".//ImportoTotaleDocumento") == ["1506.09"]


def test_an_invoice_that_would_be_refused_is_never_produced():
    doc = document(privato(), [order_line()])
    doc.buyer = doc.buyer.model_copy(update={"tax_code": None})
    with pytest.raises(fatturapa.InvalidInvoice):
        fatturapa.to_xml(doc, "00001")


def test_a_partial_refund_credits_only_the_refunded_amount():
    invoice = document(privato(), [order_line()])
    note = domain.partial_credit_note_of(invoice, 50_000, "FT-2026-000002", date(2026, 12, 5))
    assert note.total_cents == 50_000
    assert all(ln.vat_cents == vat_cents(ln.net_cents, ln.treatment.vat_rate_bp)
               for ln in note.lines)
    root = parsed(note)
    assert text(root, ".//TipoDocumento") == ["TD04"]
    assert text(root, ".//DatiFattureCollegate/IdDocumento") == ["FT-2026-000001"]
    assert text(root, ".//ImportoTotaleDocumento") == ["500.00"]
    # A gross no net reaches at 22 % (75.304 cents): still exactly the amount refunded.
    odd = domain.partial_credit_note_of(invoice, 75_304, "FT-2026-000003", date(2026, 12, 5))
    assert odd.total_cents == 75_304
