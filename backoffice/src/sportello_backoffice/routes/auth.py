"""Accedi and Esci: staff only. A customer's valid login is refused and leaves no session."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Depends, Request
from sportello.errors import Unauthorized
from sportello.web.gateway import Api
from sportello.web.pages import api, end_session, flash, form_data, new_session, redirect, safe_next

from sportello_backoffice.web import STAFF_FLAG, STAFF_ONLY, render

log = structlog.get_logger()
router = APIRouter()


@router.get("/accedi")
async def login_page(request: Request, next: str | None = None):
    return render(request, "login.html", next=safe_next(next, "/"))


@router.post("/accedi")
async def login(request: Request, gw: Api = Depends(api)):
    data = await form_data(request)
    target = safe_next(data.get("next"), "/")
    email, password = str(data.get("email", "")).strip(), str(data.get("password", ""))
    errors = {}
    if not email:
        errors["email"] = "Indica la tua email."
    if not password:
        errors["password"] = "Indica la password."
    if errors:
        return render(request, "login.html", 422, next=target, values={"email": email},
                      errors=errors, problem="Controlla i campi evidenziati.")
    result = await gw.post("/accounts/login", json={"email": email, "password": password}, auth=False)
    if result.status != 200 or not isinstance(result.body, dict):
        return render(request, "login.html", 401, next=target, values={"email": email},
                      problem="Email o password non corretti.")
    pair = result.body
    try:
        principal = request.app.state.verifier.verify(str(pair.get("access_token", "")))
    except Unauthorized:
        principal = None
    if principal is None or not principal.is_staff:
        # End the customer's new login at once: nothing of it stays here or in accounts.
        await gw.post("/accounts/logout", json={"refresh_token": pair.get("refresh_token")},
                      auth=False)
        log.info("backoffice_login_refused", reason="not_staff")
        return render(request, "login.html", 403, next=target, values={"email": email},
                      problem=STAFF_ONLY)
    new_session(request)
    gw.store_tokens(pair)
    request.session[STAFF_FLAG] = True
    request.session["user"] = {"email": principal.email or email}
    flash(request, "Bentornato nel back office.")
    return redirect(target)


@router.post("/esci")
async def logout(request: Request, gw: Api = Depends(api)):
    await form_data(request)
    await end_session(request, gw)
    flash(request, "Sei uscito dal back office.")
    return redirect("/accedi")
