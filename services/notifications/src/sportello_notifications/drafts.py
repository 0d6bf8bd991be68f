"""Which emails each event means: pure functions, event payload + settings → drafts (no I/O).

The templates they name are in templates/; the context keys are what those templates read.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote as urlquote

from sportello.contracts import events as ev
from sportello.contracts.legal import terms_url
from sportello.settings import Settings

from sportello_notifications.domain import STATUSES_WITH_OWN_EMAIL, Draft

PAYMENT_LABELS = {"card": "carta di pagamento", "bank_transfer": "bonifico bancario"}


def _url(settings: Settings, path: str) -> str:
    return settings.storefront_url.rstrip("/") + path


def _order_url(settings: Settings, order_id: uuid.UUID) -> str:
    return _url(settings, f"/account/ordini/{order_id}")


def _quote_url(settings: Settings, quote_id: uuid.UUID) -> str:
    return _url(settings, f"/account/preventivi/{quote_id}")


def _to_customer(template: str, who: ev.Contact, context: dict, **refs) -> Draft:
    return Draft(template=template, recipient=who.email, recipient_name=who.first_name,
                 account_id=who.account_id, context={"name": who.first_name, **context}, **refs)


def _to_staff(settings: Settings, template: str, about: ev.Contact, context: dict, **refs) -> Draft:
    # account_id of the customer it is about: account.deleted also clears these bodies.
    return Draft(template=template, recipient=settings.staff_email, recipient_name=None,
                 audience="staff", account_id=about.account_id, context=context, **refs)


# --- accounts -------------------------------------------------------------------------------


def _confirm_url(settings: Settings, token: str) -> str:
    return _url(settings, f"/conferma-email?token={urlquote(token, safe='')}")


def account_registered(data: ev.AccountRegistered, settings: Settings) -> list[Draft]:
    who = ev.Contact(account_id=data.account_id, email=data.email, first_name=data.first_name,
                  last_name=data.last_name)
    confirm_url = _confirm_url(settings, data.confirm_token) if data.confirm_token else None
    return [_to_customer("benvenuto", who, {"account_url": _url(settings, "/account"),
                                            "confirm_url": confirm_url,
                                            "confirm_expires_at": data.confirm_expires_at})]


def password_changed(data: ev.PasswordChanged, settings: Settings) -> list[Draft]:
    """A security notice: whoever did not change it learns at once, and how to take it back."""
    who = ev.Contact(account_id=data.account_id, email=data.email, first_name=data.first_name,
                  last_name="")
    return [_to_customer("password_modificata", who, {
        "via": data.via, "at": data.at, "forgot_url": _url(settings, "/password-dimenticata")})]


def email_change_requested(data: ev.EmailChangeRequested, settings: Settings) -> list[Draft]:
    """The link to the new address; a security notice to the current one."""
    current = ev.Contact(account_id=data.account_id, email=data.email, first_name=data.first_name,
                      last_name="")
    new = ev.Contact(account_id=data.account_id, email=data.new_email, first_name=data.first_name,
                  last_name="")
    return [
        _to_customer("conferma_email", new, {
            "confirm_url": _confirm_url(settings, data.token), "expires_at": data.expires_at}),
        _to_customer("email_in_modifica", current, {
            "new_email": data.new_email, "forgot_url": _url(settings, "/password-dimenticata")}),
    ]


def password_reset_requested(data: ev.PasswordResetRequested, settings: Settings) -> list[Draft]:
    who = ev.Contact(account_id=data.account_id, email=data.email, first_name=data.first_name,
                  last_name="")
    reset_url = _url(settings, f"/reimposta-password?token={urlquote(data.token, safe='')}")
    return [_to_customer("reimposta_password", who,
                         {"reset_url": reset_url, "expires_at": data.expires_at})]


# --- orders ---------------------------------------------------------------------------------


def order_placed(data: ev.OrderPlaced, settings: Settings) -> list[Draft]:
    refs = {"order_id": data.order_id, "order_number": data.number}
    bank = data.bank_transfer if data.payment_method == "bank_transfer" else None
    # The confirmation on a durable medium (art. 51 c. 7): the accepted conditions of sale and,
    # for a consumer, the withdrawal information and the standard form (art. 49 c. 1 lett. h).
    terms = terms_url(settings.storefront_url, data.terms.version) if data.terms else None
    drafts = [_to_customer("ordine_ricevuto", data.customer, {
        "order": data, "bank": bank, "order_url": _order_url(settings, data.order_id),
        "terms_url": terms, "seller": _seller(settings)}, **refs)]
    if bank is not None:
        confirm = f"{settings.gateway_url}/api/staff/orders/{data.order_id}/confirm-transfer"
        drafts.append(_to_staff(settings, "staff_bonifico_da_confermare", data.customer,
                                {"order": data, "bank": bank, "confirm_url": confirm}, **refs))
    return drafts


def order_paid(data: ev.OrderPaid, settings: Settings) -> list[Draft]:
    refs = {"order_id": data.order_id, "order_number": data.number}
    context = {"order": data, "order_url": _order_url(settings, data.order_id),
               "payment_label": PAYMENT_LABELS.get(data.payment_method, data.payment_method)}
    return [
        _to_customer("ordine_confermato", data.customer, context, **refs),
        _to_staff(settings, "staff_ordine_pagato", data.customer, context, **refs),
    ]


def order_payment_failed(data: ev.OrderPaymentFailed, settings: Settings) -> list[Draft]:
    return [_to_customer("pagamento_non_riuscito", data.customer, {
        "order": data, "order_url": _order_url(settings, data.order_id)},
        order_id=data.order_id, order_number=data.number)]


def order_payment_needs_staff(data: ev.OrderPaymentNeedsStaff, settings: Settings) -> list[Draft]:
    return [_to_staff(settings, "staff_pagamento_da_verificare", data.customer, {
        "data": data, "order_url": f"{settings.gateway_url}/api/staff/orders/{data.order_id}"},
        order_id=data.order_id, order_number=data.number)]


def _cancellation(settings: Settings, customer: ev.Contact, order_id: uuid.UUID, number: str,
                  reason: str | None) -> Draft:
    # One cancellation email per order, whether orders announces it as order.cancelled,
    # as order.status_changed, or both.
    return _to_customer(
        "ordine_annullato", customer,
        {"number": number, "reason": reason, "order_url": _order_url(settings, order_id)},
        order_id=order_id, order_number=number,
        dedup_key=f"order:{order_id}:ordine_annullato:{customer.email.lower()}")


def order_status_changed(data: ev.OrderStatusChanged, settings: Settings) -> list[Draft]:
    if data.status in STATUSES_WITH_OWN_EMAIL:
        return []
    if data.status == "cancelled":
        return [_cancellation(settings, data.customer, data.order_id, data.number, data.note)]
    return [_to_customer("stato_ordine", data.customer, {
        "change": data, "order_url": _order_url(settings, data.order_id)},
        order_id=data.order_id, order_number=data.number)]


def _seller(settings: Settings) -> dict:
    return {"name": settings.business_name, "address": settings.business_address,
            "email": settings.business_email}


def order_withdrawal_requested(data: ev.OrderWithdrawalRequested, settings: Settings) -> list[Draft]:
    """The customer's acknowledgement of receipt (art. 54 c. 3) and staff's call to refund."""
    refs = {"order_id": data.order_id, "order_number": data.number}
    refund_url = f"{settings.gateway_url}/api/staff/orders/{data.order_id}/refund"
    context = {"w": data, "order_url": _order_url(settings, data.order_id)}
    return [
        _to_customer("recesso_ricevuto", data.customer, context, **refs),
        _to_staff(settings, "staff_recesso_da_rimborsare", data.customer,
                  {**context, "refund_url": refund_url}, **refs),
    ]


def order_cancelled(data: ev.OrderCancelled, settings: Settings) -> list[Draft]:
    return [_cancellation(settings, data.customer, data.order_id, data.number, data.reason)]


# --- quotes ---------------------------------------------------------------------------------


def quote_requested(data: ev.QuoteRequested, settings: Settings) -> list[Draft]:
    staff_url = _staff_quote_url(settings, data.quote_id)
    return [
        _to_customer("preventivo_richiesto", data.customer, {
            "quote": data, "quote_url": _quote_url(settings, data.quote_id)},
            quote_id=data.quote_id),
        _to_staff(settings, "staff_nuovo_preventivo", data.customer,
                  {"quote": data, "staff_quote_url": staff_url}, quote_id=data.quote_id),
    ]


def quote_issued(data: ev.QuoteIssued, settings: Settings) -> list[Draft]:
    return [_to_customer("preventivo_pronto", data.customer, {
        "quote": data, "quote_url": _quote_url(settings, data.quote_id)}, quote_id=data.quote_id)]


def quote_rejected(data: ev.QuoteRejected, settings: Settings) -> list[Draft]:
    return [_to_customer("preventivo_rifiutato", data.customer, {
        "quote": data, "quote_url": _quote_url(settings, data.quote_id)}, quote_id=data.quote_id)]


def quote_expired(data: ev.QuoteExpired, settings: Settings) -> list[Draft]:
    return [_to_customer("preventivo_scaduto", data.customer, {
        "quote": data, "quote_url": _quote_url(settings, data.quote_id),
        "services_url": _url(settings, "/servizi")}, quote_id=data.quote_id)]


def _staff_quote_url(settings: Settings, quote_id: uuid.UUID) -> str:
    return f"{settings.gateway_url}/api/staff/quotes/{quote_id}"


def quote_message_posted(data: ev.QuoteMessagePosted, settings: Settings) -> list[Draft]:
    """A message goes to the other side of the conversation."""
    context = {"quote": data, "quote_url": _quote_url(settings, data.quote_id),
               "staff_quote_url": _staff_quote_url(settings, data.quote_id)}
    if data.author == "staff":
        return [_to_customer("preventivo_messaggio", data.customer, context, quote_id=data.quote_id)]
    return [_to_staff(settings, "staff_preventivo_messaggio", data.customer, context,
                      quote_id=data.quote_id)]


def _staff_about_quote(template: str):
    """Staff asked to act on a quote (a change to price, a request waiting): the link to it."""

    def drafts(data: ev.QuoteChangesRequested | ev.QuotePricingOverdue,
               settings: Settings) -> list[Draft]:
        return [_to_staff(settings, template, data.customer, {
            "quote": data, "staff_quote_url": _staff_quote_url(settings, data.quote_id)},
            quote_id=data.quote_id)]

    return drafts


quote_changes_requested = _staff_about_quote("staff_preventivo_modifica")
quote_pricing_overdue = _staff_about_quote("staff_preventivo_in_attesa")


def quote_expiring(data: ev.QuoteExpiring, settings: Settings) -> list[Draft]:
    return [_to_customer("preventivo_in_scadenza", data.customer, {
        "quote": data, "quote_url": _quote_url(settings, data.quote_id)}, quote_id=data.quote_id)]




# --- invoicing ------------------------------------------------------------------------------


def invoice_issued(data: ev.InvoiceIssued, settings: Settings) -> list[Draft]:
    """The invoice (or credit note) of an order, with the link to its courtesy PDF."""
    return [_to_customer("fattura_emessa", data.customer, {
        "invoice": data, "pdf_url": _url(settings, f"/account/fatture/{data.invoice_id}/pdf"),
        "order_url": _order_url(settings, data.order_id)},
        order_id=data.order_id, order_number=data.order_number)]


def invoice_rejected(data: ev.InvoiceSdiOutcome, settings: Settings) -> list[Draft]:
    """SDI rejected an invoice (not issued for the law until resent): staff correct and resend."""
    base = f"{settings.gateway_url}/api/staff/invoices/{data.invoice_id}"
    return [_to_staff(settings, "staff_fattura_scartata", data.customer, {
        "invoice": data, "invoice_url": base, "resend_url": f"{base}/resend"},
        order_id=data.order_id, order_number=data.order_number)]


# --- documents ------------------------------------------------------------------------------


def document_delivered(data: ev.DocumentDelivered, settings: Settings) -> list[Draft]:
    """A file staff delivered on an order or a quote: the link to where the customer downloads it
    (signed in: the file is never sent as an attachment, nor reachable by the link alone)."""
    if data.order_id is not None:
        where = {"order_id": data.order_id, "order_number": data.number}
        page = _order_url(settings, data.order_id)
    else:
        where = {"quote_id": data.quote_id}
        page = _quote_url(settings, data.quote_id)
    return [_to_customer("servizio_pronto", data.customer, {
        "document": data, "page_url": page, "is_order": data.order_id is not None}, **where)]


# event type → the function that says which emails it means.
BY_EVENT = {
    "account.registered": account_registered,
    "account.password_changed": password_changed,
    "account.email_change_requested": email_change_requested,
    "account.password_reset_requested": password_reset_requested,
    "order.placed": order_placed,
    "order.paid": order_paid,
    "order.payment_failed": order_payment_failed,
    "order.payment_needs_staff": order_payment_needs_staff,
    "order.status_changed": order_status_changed,
    "order.withdrawal_requested": order_withdrawal_requested,
    "order.cancelled": order_cancelled,
    "quote.requested": quote_requested,
    "quote.issued": quote_issued,
    "quote.rejected": quote_rejected,
    "quote.expired": quote_expired,
    "quote.message_posted": quote_message_posted,
    "quote.changes_requested": quote_changes_requested,
    "quote.expiring": quote_expiring,
    "quote.pricing_overdue": quote_pricing_overdue,
    "invoice.issued": invoice_issued,
    "invoice.rejected": invoice_rejected,
    "document.delivered": document_delivered,
}
