"""What happens to invoices: one per paid order, one credit note per refunded one, each built by
the domain, checked as FatturaPA XML, stored and announced (`invoice.issued`) in one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime

import structlog
from sportello.contracts.billing import Billing
from sportello.contracts.events import Contact, InvoiceIssued, OrderPaid
from sportello.messaging import emit
from sportello.numbering import ROME
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_invoicing import domain, fatturapa, repository
from sportello_invoicing.models import Invoice
from sportello_invoicing.settings import InvoicingSettings, seller

log = structlog.get_logger()
ISSUED = "issued"


def progressive(number: str) -> str:
    """ProgressivoInvio (at most 10 alphanumerics): the year and sequence of the number."""
    return number.replace(f"{repository.PREFIX}-", "").replace("-", "")[-10:]


async def _store(session: AsyncSession, doc: domain.Document, order_id: uuid.UUID,
                 order_number: str, customer: Contact, now: datetime,
                 related: uuid.UUID | None = None) -> Invoice:
    xml = fatturapa.to_xml(doc, progressive(doc.number)).decode()
    invoice = Invoice(
        id=uuid.uuid4(), kind=doc.kind, number=doc.number, issued_on=doc.issued_on, issued_at=now,
        order_id=order_id, order_number=order_number, customer_id=customer.account_id,
        payment_method=doc.payment_method, billing=doc.buyer.model_dump(mode="json"),
        lines=[{**asdict(line), "treatment": line.treatment.model_dump()} for line in doc.lines],
        net_cents=doc.net_cents, vat_cents=doc.vat_cents, total_cents=doc.total_cents,
        stamp_duty_cents=sum(ln.net_cents for ln in doc.lines
                             if ln.description == domain.STAMP_DUTY_LINE),
        status=ISSUED, xml=xml, related_invoice_id=related,
    )
    session.add(invoice)
    await session.flush()
    await emit(session, "invoice.issued", InvoiceIssued(
        invoice_id=invoice.id, order_id=order_id, order_number=order_number, number=doc.number,
        kind=doc.kind, issued_at=now, customer=customer, total_cents=doc.total_cents))
    log.info("invoice_issued", invoice_id=str(invoice.id), number=doc.number, kind=doc.kind,
             order_id=str(order_id))
    return invoice


async def invoice_paid_order(session: AsyncSession, data: OrderPaid, settings: InvoicingSettings,
                             now: datetime) -> Invoice | None:
    """The invoice of a paid order, once: a repeated order.paid finds it and does nothing."""
    if await repository.of_order(session, data.order_id, domain.INVOICE) is not None:
        log.info("invoice_exists", order_id=str(data.order_id))
        return None
    number = await repository.next_number(session, now)
    doc = domain.Document(
        kind=domain.INVOICE, number=number, issued_on=now.astimezone(ROME).date(),
        seller=seller(settings), buyer=data.billing,
        lines=domain.invoice_lines([line.model_dump(mode="json") for line in data.lines],
                                   data.billing, settings.stamp_duty_charged),
        payment_method=data.payment_method, stamp_duty_charged=settings.stamp_duty_charged)
    return await _store(session, doc, data.order_id, data.number, data.customer, now)


def document_of(invoice: Invoice, settings: InvoicingSettings) -> domain.Document:
    """A stored invoice as the domain's document again (for its credit note, its PDF)."""
    from sportello.contracts.tax import Treatment

    lines = [domain.Line(**{**line, "treatment": Treatment(**line["treatment"])})
             for line in invoice.lines]
    return domain.Document(kind=invoice.kind, number=invoice.number, issued_on=invoice.issued_on,
                           seller=seller(settings), buyer=Billing(**invoice.billing), lines=lines,
                           payment_method=invoice.payment_method,
                           stamp_duty_charged=invoice.stamp_duty_cents > 0)


async def credit_refunded_order(session: AsyncSession, order_id: uuid.UUID, customer: Contact,
                                settings: InvoicingSettings, now: datetime,
                                refund_cents: int | None = None) -> Invoice | None:
    """A refund: a TD04 cancelling the order's invoice, or the refunded part of it, once
    (art. 26 DPR 633/72)."""
    invoice = await repository.of_order(session, order_id, domain.INVOICE)
    if invoice is None:
        log.warning("refund_without_invoice", order_id=str(order_id))
        return None
    if await repository.of_order(session, order_id, domain.CREDIT_NOTE) is not None:
        return None
    if refund_cents == 0:
        return None  # nothing given back, nothing to credit
    number = await repository.next_number(session, now)
    document = document_of(invoice, settings)
    if refund_cents is not None and refund_cents < document.total_cents:
        note = domain.partial_credit_note_of(document, refund_cents, number,
                                             now.astimezone(ROME).date())
    else:
        note = domain.credit_note_of(document, number, now.astimezone(ROME).date())
    return await _store(session, note, order_id, invoice.order_number, customer, now,
                        related=invoice.id)
