"""Ordini: the queue by status (and payment method), one order with its history, documents and
invoices, confirming a bank transfer, moving the status with an outcome note the customer reads,
refunding (a withdrawal, or a paid order in full or in part), delivering a file."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from sportello.formatting import cents_from_euro
from sportello.web.gateway import Api
from sportello.web.pages import flash, form_data, redirect

from sportello_backoffice.routes.documents import deliver, documents_of
from sportello_backoffice.web import ORDER_STATUSES, STAFF_MOVES, found, render, staff_api

router = APIRouter()
PAYMENT_METHODS = ("card", "bank_transfer")


@router.get("/ordini")
async def order_list(request: Request, stato: str = "", pagamento: str = "",
                     numero: str = "", cursor: str | None = None, gw: Api = Depends(staff_api)):
    params: dict[str, Any] = {"limit": 50}
    status = stato if stato in ORDER_STATUSES else ""
    if status:
        params["status"] = status
    number = numero.strip()[:40]
    if number:
        params["number"] = number
    if cursor:
        params["cursor"] = cursor[:500]
    result = await gw.get("/staff/orders", params=params, require_login=True)
    if result.status == 422:  # a stale or forged cursor: the first page instead
        params.pop("cursor", None)
        result = await gw.get("/staff/orders", params=params, require_login=True)
    page = found(result)
    method = pagamento if pagamento in PAYMENT_METHODS else ""
    # The staff list has no payment filter: this page narrows what it shows.
    orders = [o for o in page.get("items", []) if not method or o.get("payment_method") == method]
    return render(request, "orders.html", status=status, method=method, number=number,
                  orders=orders, next_cursor=page.get("next_cursor"))


async def _order_page(request: Request, gw: Api, order_id: str, status_code: int = 200,
                      **context: Any):
    order, documents = await asyncio.gather(
        gw.get(f"/staff/orders/{order_id}", require_login=True),
        documents_of(gw, f"/staff/orders/{order_id}/documents"))
    return render(request, "order.html", status_code, order=found(order), documents=documents,
                  upload_to=f"/ordini/{order_id}/documenti", **context)


@router.get("/ordini/{order_id}")
async def order_detail(request: Request, order_id: str, gw: Api = Depends(staff_api)):
    return await _order_page(request, gw, order_id)


@router.post("/ordini/{order_id}/conferma-bonifico")
async def confirm_transfer(request: Request, order_id: str, gw: Api = Depends(staff_api)):
    data = await form_data(request)
    note = str(data.get("transfer_note", "")).strip()
    result = await gw.post(f"/staff/orders/{order_id}/confirm-transfer",
                           json={"note": note} if note else None, require_login=True)
    if result.ok:
        flash(request, "Bonifico confermato: l'ordine è pagato.")
        return redirect(f"/ordini/{order_id}")
    if result.status in (403, 404):
        found(result)
    # The only field of the request is the note: any field error is about it.
    messages = list(result.field_errors().values())
    errors = {"transfer_note": messages[0]} if messages else {}
    return await _order_page(request, gw, order_id, 409 if result.status == 409 else 422,
                             values=data, errors=errors,
                             problem=result.detail or "Conferma non riuscita.")


@router.post("/ordini/{order_id}/stato")
async def move(request: Request, order_id: str, gw: Api = Depends(staff_api)):
    data = await form_data(request)
    target, note = str(data.get("status", "")), str(data.get("note", "")).strip()
    errors: dict[str, str] = {}
    if target not in STAFF_MOVES:
        errors["status"] = "Scegli il nuovo stato."
    if len(note) > 2000:
        errors["note"] = "L'esito può avere al massimo 2000 caratteri."
    if not errors:
        result = await gw.post(f"/staff/orders/{order_id}/status",
                               json={"status": target, "note": note or None}, require_login=True)
        if result.ok:
            flash(request, "Stato dell'ordine aggiornato: il cliente vede l'esito.")
            return redirect(f"/ordini/{order_id}")
        if result.status in (403, 404):
            found(result)
        for name, message in result.field_errors().items():
            errors["note" if name == "note" else "status"] = message
        return await _order_page(request, gw, order_id, 409 if result.status == 409 else 422,
                                 values=data, errors=errors,
                                 problem=result.detail or "Cambio di stato non riuscito.")
    return await _order_page(request, gw, order_id, 422, values=data, errors=errors,
                             problem="Controlla i campi evidenziati.")


# The refund form's fields, named apart from the status form's `note` on the same page.
REFUND_FIELDS = {"amount_cents": "refund_amount", "note": "refund_note"}


@router.post("/ordini/{order_id}/rimborso")
async def refund(request: Request, order_id: str, gw: Api = Depends(staff_api)):
    data = await form_data(request)
    note = str(data.get("refund_note", "")).strip()
    errors: dict[str, str] = {}
    try:
        amount = cents_from_euro(str(data.get("refund_amount", "")))
    except ValueError:
        amount = None
        errors["refund_amount"] = "Scrivi l'importo in euro, ad esempio 1.250,00, o lascia vuoto."
    if len(note) > 2000:
        errors["refund_note"] = "La nota può avere al massimo 2000 caratteri."
    if errors:
        return await _order_page(request, gw, order_id, 422, values=data, errors=errors,
                                 problem="Controlla i campi evidenziati.")
    result = await gw.post(f"/staff/orders/{order_id}/refund",
                           json={"amount_cents": amount, "note": note or None}, require_login=True)
    if result.ok:
        flash(request, "Rimborso registrato: il cliente vede l'ordine rimborsato.")
        return redirect(f"/ordini/{order_id}")
    if result.status in (403, 404):
        found(result)
    for name, message in result.field_errors().items():
        errors.setdefault(REFUND_FIELDS.get(name.rsplit(".", 1)[-1], "refund_amount"), message)
    return await _order_page(request, gw, order_id, 409 if result.status == 409 else 422,
                             values=data, errors=errors,
                             problem=result.detail or "Rimborso non riuscito.")


@router.post("/ordini/{order_id}/documenti")
async def deliver_to_order(request: Request, order_id: str, gw: Api = Depends(staff_api)):
    refused = await deliver(request, gw, f"/staff/orders/{order_id}/documents")
    if refused is None:
        return redirect(f"/ordini/{order_id}#documenti")
    return await _order_page(request, gw, order_id, refused.status, values=refused.values,
                             errors=refused.errors, problem=refused.problem)
