"""An invoice as FatturaPA XML (FPR12, v1.2.x) built with a38 and checked with a38's validation
before anyone stores or sends it.

One exception to a38's checks, on purpose: a38 still applies the old rule 00426 (codice
destinatario 0000000 needs a PEC), which the Agenzia delle Entrate dropped for consumers
(provvedimento 30 aprile 2018, n. 89757: a privato without PEC gets 0000000 and the invoice in
their cassetto fiscale); it is accepted for a privato only.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import a38.fattura as fa
from a38 import validation

from sportello_invoicing.domain import CREDIT_NOTE, PAYMENT_MODE, Document, Line

CONSUMER_CODE = "0000000"
ABROAD_CODE = "XXXXXXX"
# A foreign customer has no Italian codice fiscale: FatturaPA's conventional identifier.
FOREIGN_CONSUMER_ID = "99999999999"
# A quantity needs its unit: each line counts services.
UNIT = "n."
# How a consumer's 0000000 without a PEC reads in a38's errors.
_OLD_RULE_00426 = "[00426]"


class InvalidInvoice(Exception):
    """The XML would be refused: a bug of ours, never the customer's input."""


def _eur(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _rate(bp: int) -> Decimal:
    return (Decimal(bp) / 100).quantize(Decimal("0.01"))


def _seller(doc: Document) -> fa.CedentePrestatore:
    s = doc.seller
    return fa.CedentePrestatore(
        fa.DatiAnagraficiCedentePrestatore(
            fa.IdFiscaleIVA("IT", s.vat_number), codice_fiscale=s.tax_code,
            anagrafica=fa.Anagrafica(denominazione=s.name), regime_fiscale=s.regime),
        fa.Sede(indirizzo=s.street, cap=s.postal_code, comune=s.city, provincia=s.province,
                nazione="IT"),
        iscrizione_rea=fa.IscrizioneREA(ufficio=s.rea_office, numero_rea=s.rea_number,
                                        stato_liquidazione="LN"),
        contatti=fa.Contatti(email=s.email, telefono=s.phone),
    )


def _buyer(doc: Document) -> fa.CessionarioCommittente:
    b = doc.buyer
    country = b.address.country.upper()
    italian = country == "IT"
    if b.customer_type == "azienda":
        anagrafica = fa.Anagrafica(denominazione=b.company_name)
    else:
        anagrafica = fa.Anagrafica(nome=b.first_name, cognome=b.last_name)
    vat_id = None
    tax_code = None
    if b.customer_type == "azienda" and b.vat_number:
        number = b.vat_number.upper().replace(" ", "")
        prefix = "EL" if country == "GR" else country
        vat_id = fa.IdFiscaleIVA(prefix, number[len(prefix):] if number.startswith(prefix) else number)
    elif italian:
        tax_code = (b.tax_code or "").upper()
    else:
        vat_id = fa.IdFiscaleIVA(country, FOREIGN_CONSUMER_ID)
    if b.customer_type == "azienda" and italian and b.tax_code:
        tax_code = b.tax_code.upper()
    return fa.CessionarioCommittente(
        fa.DatiAnagraficiCessionarioCommittente(id_fiscale_iva=vat_id, codice_fiscale=tax_code,
                                                anagrafica=anagrafica),
        fa.Sede(indirizzo=b.address.street[:60],
                cap=b.address.postal_code if italian else "00000",
                comune=b.address.city[:60], provincia=b.address.province if italian else None,
                nazione=country),
    )


def _recipient(doc: Document) -> tuple[str, str | None]:
    """CodiceDestinatario and PECDestinatario."""
    b = doc.buyer
    if b.address.country.upper() != "IT":
        return ABROAD_CODE, None
    if b.customer_type == "azienda" and b.sdi_code and b.sdi_code != CONSUMER_CODE:
        return b.sdi_code.upper(), None
    return CONSUMER_CODE, b.pec or None


def _line(number: int, line: Line) -> fa.DettaglioLinee:
    t = line.treatment
    return fa.DettaglioLinee(
        numero_linea=number, descrizione=line.description, quantita=Decimal(line.quantity),
        unita_misura=UNIT,
        prezzo_unitario=_eur(line.unit_net_cents), prezzo_totale=_eur(line.net_cents),
        aliquota_iva=_rate(t.vat_rate_bp), natura=t.vat_nature)


def build(doc: Document, progressive: str) -> fa.FatturaPrivati12:
    code, pec = _recipient(doc)
    invoice = fa.FatturaPrivati12()
    header = invoice.fattura_elettronica_header
    header.dati_trasmissione.id_trasmittente = fa.IdTrasmittente("IT", doc.seller.vat_number)
    header.dati_trasmissione.progressivo_invio = progressive
    header.dati_trasmissione.codice_destinatario = code
    header.dati_trasmissione.pec_destinatario = pec
    header.cedente_prestatore = _seller(doc)
    header.cessionario_committente = _buyer(doc)

    # a38 starts the invoice with its one (required) body.
    if not invoice.fattura_elettronica_body:
        invoice.fattura_elettronica_body.append(fa.FatturaElettronicaBody())
    body = invoice.fattura_elettronica_body[0]
    general = body.dati_generali.dati_generali_documento
    general.tipo_documento = doc.kind
    general.divisa = "EUR"
    general.data = doc.issued_on
    general.numero = doc.number
    if doc.stamp_duty_due:
        general.dati_bollo = fa.DatiBollo(bollo_virtuale="SI", importo_bollo=_eur(200))
    causale = list(doc.causale)
    if doc.reverse_charge:
        causale.append("Inversione contabile - art. 7-ter DPR 633/72")
    if causale:
        general.causale = causale
    if doc.kind == CREDIT_NOTE and doc.related_number:
        body.dati_generali.dati_fatture_collegate.append(
            fa.DatiFattureCollegate(id_documento=doc.related_number, data=doc.related_date))
    for i, line in enumerate(doc.lines, start=1):
        body.dati_beni_servizi.dettaglio_linee.append(_line(i, line))
    for s in doc.summaries:
        body.dati_beni_servizi.dati_riepilogo.append(fa.DatiRiepilogo(
            aliquota_iva=_rate(s.vat_rate_bp), natura=s.vat_nature,
            imponibile_importo=_eur(s.taxable_cents), imposta=_eur(s.vat_cents),
            esigibilita_iva=None if s.vat_nature else "I",
            riferimento_normativo=s.note[:100] if s.note else None))
    general.importo_totale_documento = _eur(doc.total_cents)
    body.dati_pagamento.append(fa.DatiPagamento(
        condizioni_pagamento="TP02",
        dettaglio_pagamento=[fa.DettaglioPagamento(
            modalita_pagamento=PAYMENT_MODE[doc.payment_method],
            importo_pagamento=_eur(doc.total_cents),
            iban=doc.seller.iban if doc.payment_method == "bank_transfer" else None)]))
    return invoice


def errors_of(invoice: fa.FatturaPrivati12, doc: Document) -> list[str]:
    check = validation.Validation()
    invoice.validate(check)
    errors = [str(e) for e in check.errors]
    if doc.buyer.customer_type == "privato":
        errors = [e for e in errors if _OLD_RULE_00426 not in e]
    return errors


def to_xml(doc: Document, progressive: str) -> bytes:
    """The validated XML, or InvalidInvoice listing what a38 found."""
    invoice = build(doc, progressive)
    errors = errors_of(invoice, doc)
    if errors:
        raise InvalidInvoice("; ".join(errors))
    tree = invoice.build_etree()
    return ET.tostring(tree.getroot(), encoding="utf-8", xml_declaration=True)
