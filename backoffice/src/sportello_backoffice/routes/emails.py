"""Email: the emails that could not be delivered, with their errors; resend one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sportello.web.gateway import Api
from sportello.web.pages import flash, form_data, redirect

from sportello_backoffice.web import found, render, staff_api

router = APIRouter()


@router.get("/email")
async def failed_emails(request: Request, cursor: str | None = None, gw: Api = Depends(staff_api)):
    params: dict[str, Any] = {"status": "failed", "limit": 50}
    if cursor:
        params["cursor"] = cursor[:200]
    result = await gw.get("/staff/notifications", params=params, require_login=True)
    if result.status == 422:  # a stale or forged cursor: the first page instead
        params.pop("cursor")
        result = await gw.get("/staff/notifications", params=params, require_login=True)
    page = found(result)
    return render(request, "emails.html", emails=page.get("items", []),
                  next_cursor=page.get("next_cursor"))


@router.post("/email/{notification_id}/reinvia")
async def resend(request: Request, notification_id: str, gw: Api = Depends(staff_api)):
    await form_data(request)
    result = await gw.post(f"/staff/notifications/{notification_id}/resend", require_login=True)
    if result.ok:
        flash(request, f"Email a {result.body.get('recipient', '')} rimessa in coda di invio.")
    elif result.status == 403:
        found(result)
    else:
        flash(request, result.detail or "Questa email non è più da reinviare.", "error")
    return redirect("/email")
