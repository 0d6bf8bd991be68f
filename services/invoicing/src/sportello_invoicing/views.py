"""Invoices as their summaries, and as the HTML their courtesy PDF prints."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from pathlib import Path

from sportello.contracts.fields import FieldError
from sportello.errors import ValidationFailed
from sportello.pdf import document_env

from sportello_invoicing import domain, schemas
from sportello_invoicing.models import Invoice

DOCUMENTS = document_env(Path(__file__).parent / "templates")
TITLES = {domain.INVOICE: "Fattura", domain.CREDIT_NOTE: "Nota di credito"}
PAYMENT_LABELS = {"card": "Carta di pagamento", "bank_transfer": "Bonifico bancario"}


def summary(invoice: Invoice) -> schemas.InvoiceSummary:
    return schemas.InvoiceSummary(
        id=invoice.id, number=invoice.number, type=invoice.kind, issued_at=invoice.issued_at,
        issued_on=invoice.issued_on, status=invoice.status, order_id=invoice.order_id,
        order_number=invoice.order_number, total_cents=invoice.total_cents,
        sdi_attempts=invoice.sdi_attempts or 0, sdi_errors=invoice.sdi_errors,
        vat_number_check=invoice.vat_number_check)


def cursor_of(invoice: Invoice) -> str:
    raw = json.dumps([invoice.issued_at.isoformat(), str(invoice.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, last = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        parsed = datetime.fromisoformat(str(at)), uuid.UUID(str(last))
        if parsed[0].tzinfo is None:
            raise ValueError("naive")
        return parsed
    except (ValueError, TypeError, UnicodeDecodeError):
        raise ValidationFailed([FieldError(field="cursor", message="Cursore non valido.")]) from None


def courtesy_html(doc: domain.Document, invoice: Invoice) -> str:
    return DOCUMENTS.get_template("fattura.html").render(
        doc=doc, invoice=invoice, title=TITLES[doc.kind],
        payment_label=PAYMENT_LABELS.get(doc.payment_method, doc.payment_method),
        business={"name": doc.seller.name,
                  "address": f"{doc.seller.street}, {doc.seller.postal_code} {doc.seller.city} "
                             f"({doc.seller.province})",
                  "vat_number": doc.seller.vat_number, "email": doc.seller.email})
