"""Fatture: the invoices by SDI status, each PDF and XML passed on as an attachment, and
"Reinvia" for one SDI rejected."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sportello.web.files import attachment
from sportello.web.gateway import Api
from sportello.web.pages import flash, form_data, redirect

from sportello_backoffice.web import INVOICE_STATUS, found, render, staff_api

router = APIRouter()


@router.get("/fatture")
async def invoice_list(request: Request, stato: str = "", cursor: str | None = None,
                       gw: Api = Depends(staff_api)):
    status = stato if stato in INVOICE_STATUS else ""
    params: dict[str, Any] = {"limit": 50, **({"status": status} if status else {})}
    if cursor:
        params["cursor"] = cursor[:500]
    result = await gw.get("/staff/invoices", params=params, require_login=True)
    if result.status == 422:  # a stale or forged cursor: the first page instead
        params.pop("cursor", None)
        result = await gw.get("/staff/invoices", params=params, require_login=True)
    page = found(result)
    return render(request, "invoices.html", status=status, invoices=page.get("items", []),
                  next_cursor=page.get("next_cursor"))


async def _file(gw: Api, invoice_id: str, kind: str):
    result = await gw.get(f"/staff/invoices/{invoice_id}/{kind}", require_login=True)
    if result.status == 403:
        found(result)
    return attachment(result)


@router.get("/fatture/{invoice_id}/pdf")
async def invoice_pdf(invoice_id: str, gw: Api = Depends(staff_api)):
    return await _file(gw, invoice_id, "pdf")


@router.get("/fatture/{invoice_id}/xml")
async def invoice_xml(invoice_id: str, gw: Api = Depends(staff_api)):
    return await _file(gw, invoice_id, "xml")


@router.post("/fatture/{invoice_id}/reinvia")
async def resend(request: Request, invoice_id: str, gw: Api = Depends(staff_api)):
    data = await form_data(request)
    # Back to the list the button was on (its filter), never anywhere else.
    back = "/fatture?stato=" + (data.get("stato") if data.get("stato") in INVOICE_STATUS else "")
    result = await gw.post(f"/staff/invoices/{invoice_id}/resend", require_login=True)
    if result.ok:
        flash(request, f"Fattura {result.body.get('number', '')} inviata di nuovo a SDI.")
    elif result.status in (403, 404, 422):
        found(result)
    else:
        # 409: invoicing's Italian reason (the invoice is not rejected, or was resent already).
        flash(request, result.detail or "Questa fattura non è da reinviare.", "error")
    return redirect(back)
