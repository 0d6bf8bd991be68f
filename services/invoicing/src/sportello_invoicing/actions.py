"""What happens to invoices: one per paid order, one credit note per refunded one, each built by
the domain, checked as FatturaPA XML, stored and announced (`invoice.issued`) in one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime

import structlog
from sportello.contracts.billing import Billing
from sportello.contracts.events import Contact, InvoiceIssued, InvoiceSdiOutcome, OrderPaid
from sportello.messaging import emit
from sportello.numbering import ROME
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_invoicing import domain, fatturapa, repository
from sportello_invoicing.channel import Channel, Receipt
from sportello_invoicing.models import Invoice
from sportello_invoicing.settings import InvoicingSettings, seller

log = structlog.get_logger()


def file_name(settings: InvoicingSettings, invoice: Invoice) -> str:
    """The SDI file name: IT + seller VAT number + _ + the progressive of this sending."""
    attempt = max(invoice.sdi_attempts or 0, 1)
    return f"IT{settings.business_vat_number}_{domain.progressive(invoice.number, attempt)}.xml"


async def _store(session: AsyncSession, doc: domain.Document, order_id: uuid.UUID,
                 order_number: str, customer: Contact, now: datetime,
                 related: uuid.UUID | None = None, vat_number_check: str | None = None) -> Invoice:
    xml = fatturapa.to_xml(doc, domain.progressive(doc.number)).decode()
    invoice = Invoice(
        id=uuid.uuid4(), kind=doc.kind, number=doc.number, issued_on=doc.issued_on, issued_at=now,
        order_id=order_id, order_number=order_number, customer_id=customer.account_id,
        payment_method=doc.payment_method, billing=doc.buyer.model_dump(mode="json"),
        lines=[{**asdict(line), "treatment": line.treatment.model_dump()} for line in doc.lines],
        net_cents=doc.net_cents, vat_cents=doc.vat_cents, total_cents=doc.total_cents,
        stamp_duty_cents=sum(ln.net_cents for ln in doc.lines
                             if ln.description == domain.STAMP_DUTY_LINE),
        status=domain.Status.ISSUED.value, xml=xml, related_invoice_id=related, status_at=now,
        vat_number_check=vat_number_check,
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
    # The stamp duty as the order charged it (what the customer paid); without a taxed total
    # (an older order) the setting.
    charged = (data.totals.stamp_duty_cents > 0 if data.totals.vat_groups
               else settings.stamp_duty_charged)
    doc = domain.Document(
        kind=domain.INVOICE, number=number, issued_on=now.astimezone(ROME).date(),
        seller=seller(settings), buyer=data.billing,
        lines=domain.invoice_lines([line.model_dump(mode="json") for line in data.lines],
                                   data.billing, charged),
        payment_method=data.payment_method, stamp_duty_charged=charged)
    return await _store(session, doc, data.order_id, data.number, data.customer, now,
                        vat_number_check=data.vat_number_check)


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


# --- SDI ---------------------------------------------------------------------------------------


async def send_to_sdi(session: AsyncSession, invoice: Invoice, channel: Channel,
                      settings: InvoicingSettings, now: datetime) -> None:
    """Hand the invoice's file to SDI (issued or rejected → sent); ChannelError leaves it as it
    was, for the consumer's retry or staff's next resend."""
    domain.transition(invoice.status, domain.Status.SENT)
    invoice.sdi_attempts = (invoice.sdi_attempts or 0) + 1
    if invoice.sdi_attempts > 1:
        # Sent again after a rejection: rebuilt from the stored lines and today's seller data
        # (the correction), same number and date, a new progressive for a new file name.
        doc = document_of(invoice, settings)
        invoice.xml = fatturapa.to_xml(
            doc, domain.progressive(invoice.number, invoice.sdi_attempts)).decode()
    invoice.sdi_id = await channel.send(file_name(settings, invoice), invoice.xml)
    invoice.status = domain.Status.SENT.value
    invoice.status_at = now
    log.info("invoice_sent", invoice_id=str(invoice.id), number=invoice.number,
             sdi_id=invoice.sdi_id, attempt=invoice.sdi_attempts)


async def send_issued(session: AsyncSession, invoice_id: uuid.UUID, channel: Channel,
                      settings: InvoicingSettings, now: datetime) -> None:
    """The first sending of a just issued invoice, once (a repeated invoice.issued finds it sent)."""
    invoice = await repository.get(session, invoice_id, lock=True)
    if invoice.status != domain.Status.ISSUED.value:
        return
    await send_to_sdi(session, invoice, channel, settings, now)


async def apply_receipt(session: AsyncSession, receipt: Receipt, now: datetime) -> Invoice | None:
    """An SDI receipt moves the invoice it answers and is announced; a receipt of a file since
    replaced (an earlier sending) or already applied changes nothing."""
    invoice = await repository.by_sdi_id(session, receipt.sdi_id)
    to = domain.RECEIPT_STATUS[receipt.type]
    if invoice is None or invoice.status == to.value:
        log.info("sdi_receipt_ignored", sdi_id=receipt.sdi_id, type=receipt.type)
        return None
    domain.transition(invoice.status, to)
    invoice.status = to.value
    invoice.status_at = now
    invoice.sdi_errors = [e.model_dump() for e in receipt.errors] or None
    await emit(session, domain.STATUS_EVENT[to], InvoiceSdiOutcome(
        invoice_id=invoice.id, order_id=invoice.order_id, order_number=invoice.order_number,
        number=invoice.number, kind=invoice.kind, status=to.value, at=now,
        customer=contact_of(invoice), errors=receipt.errors))
    log.info("invoice_sdi_outcome", invoice_id=str(invoice.id), number=invoice.number,
             status=to.value, errors=[e.code for e in receipt.errors])
    return invoice


def contact_of(invoice: Invoice) -> Contact:
    billing = Billing(**invoice.billing)
    return Contact(account_id=invoice.customer_id, email=billing.email,
                   first_name=billing.first_name or billing.company_name or "",
                   last_name=billing.last_name or "")
