"""Accedi, Registrati, Esci, password dimenticata / reimposta, conferma email: tokens go into the
session only."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Depends, Request
from sportello.web.gateway import Api
from sportello.web.pages import api, end_session, flash, form_data, redirect, safe_next

from sportello_storefront.routes.cart import load_cart
from sportello_storefront.web import new_session, remember_cart_count, render

log = structlog.get_logger()
router = APIRouter()


async def sign_in(request: Request, gw: Api, pair: dict[str, Any]) -> None:
    """Keep the tokens, remember who this is, and move the anonymous cart into theirs."""
    new_session(request)
    gw.store_tokens(pair)
    me = await gw.get("/accounts/me")
    if me.ok:
        request.session["user"] = {"first_name": me.body.get("first_name"),
                                   "last_name": me.body.get("last_name"),
                                   "email": me.body.get("email")}
    cart_token = request.session.pop("cart_token", None)
    if cart_token:
        merged = await gw.post("/cart/merge", headers={"X-Cart-Token": cart_token})
        if not merged.ok:
            log.warning("cart_merge_failed", status=merged.status)
        remember_cart_count(request.session, merged.body if merged.ok and isinstance(merged.body, dict)
                            else None)
    else:
        await load_cart(gw)  # the customer's own cart, for the header's count


def _page_returning_to_next(template: str):
    """A login or sign-up page that sends the visitor back where they were (a local path only)."""

    async def page(request: Request, next: str | None = None):
        return render(request, template, next=safe_next(next))

    return page


async def _form_and_next(request: Request) -> tuple[dict, str]:
    data = await form_data(request)
    return data, safe_next(data.get("next"))


router.get("/accedi")(_page_returning_to_next("login.html"))
router.get("/registrati")(_page_returning_to_next("register.html"))


@router.post("/accedi")
async def login(request: Request, gw: Api = Depends(api)):
    data, target = await _form_and_next(request)
    email, password = data.get("email", "").strip(), data.get("password", "")
    errors = {}
    if not email:
        errors["email"] = "Indica la tua email."
    if not password:
        errors["password"] = "Indica la password."
    if not errors:
        result = await gw.post("/accounts/login", json={"email": email, "password": password},
                               auth=False)
        if result.status == 200:
            await sign_in(request, gw, result.body)
            flash(request, "Bentornato!")
            return redirect(target)
        problem = "Email o password non corretti."
    else:
        problem = "Controlla i campi evidenziati."
    return render(request, "login.html", 401 if not errors else 422, next=target,
                  values={"email": email}, errors=errors, problem=problem)


@router.post("/registrati")
async def register(request: Request, gw: Api = Depends(api)):
    data, target = await _form_and_next(request)
    body = {
        "email": data.get("email", "").strip(),
        "password": data.get("password", ""),
        "first_name": data.get("first_name", "").strip(),
        "last_name": data.get("last_name", "").strip(),
        "privacy_accepted": data.get("privacy_accepted") == "on",
        "marketing_consent": data.get("marketing_consent") == "on",
    }
    errors: dict[str, str] = {}
    if not body["privacy_accepted"]:
        errors["privacy_accepted"] = "Per registrarti devi accettare l'informativa privacy."
    if body["password"] != data.get("password_confirm", ""):
        errors["password_confirm"] = "Le due password non coincidono."
    if not errors:
        result = await gw.post("/accounts/register", json=body, auth=False)
        if result.status == 201:
            login = await gw.post("/accounts/login", auth=False,
                                  json={"email": body["email"], "password": body["password"]})
            if login.status == 200:
                await sign_in(request, gw, login.body)
            flash(request, "Registrazione completata: benvenuto!")
            return redirect(target)
        if result.status == 409:
            errors["email"] = "Questa email è già registrata: accedi oppure reimposta la password."
        else:
            errors.update(result.field_errors())
            if not errors:
                errors["email"] = result.detail or "Registrazione non riuscita."
    values = {k: v for k, v in data.items() if "password" not in k}
    return render(request, "register.html", 422, next=target, values=values, errors=errors,
                  problem="Controlla i campi evidenziati.")


@router.post("/esci")
async def logout(request: Request, gw: Api = Depends(api)):
    await form_data(request)
    await end_session(request, gw)
    flash(request, "Sei uscito dal tuo account.")
    return redirect("/")


@router.get("/password-dimenticata")
async def forgot_page(request: Request):
    return render(request, "forgot.html")


@router.post("/password-dimenticata")
async def forgot(request: Request, gw: Api = Depends(api)):
    data = await form_data(request)
    email = data.get("email", "").strip()
    if not email:
        return render(request, "forgot.html", 422, errors={"email": "Indica la tua email."})
    await gw.post("/accounts/password-reset", json={"email": email}, auth=False)
    # Same answer whether or not the email exists (no enumeration).
    return render(request, "forgot.html", sent=True)


def _page_with_token(template: str):
    """The page a link sent by email opens: its form carries the link's token."""

    async def page(request: Request, token: str = ""):
        return render(request, template, token=token)

    return page


router.get("/reimposta-password")(_page_with_token("reset.html"))
# A button, not a GET that confirms: mail scanners open links, only a person presses.
router.get("/conferma-email")(_page_with_token("confirm_email.html"))


@router.post("/reimposta-password")
async def reset(request: Request, gw: Api = Depends(api)):
    data = await form_data(request)
    token, password = data.get("token", ""), data.get("new_password", "")
    errors: dict[str, str] = {}
    if password != data.get("new_password_confirm", ""):
        errors["new_password_confirm"] = "Le due password non coincidono."
    if not errors:
        result = await gw.post("/accounts/password-reset/confirm", auth=False,
                               json={"token": token, "new_password": password})
        if result.ok:
            flash(request, "Password aggiornata: ora puoi accedere.")
            return redirect("/accedi")
        errors.update(result.field_errors())
        if not errors or "token" in errors:
            errors.pop("token", None)
            return render(request, "reset.html", 400, token=token, errors=errors,
                          problem="Il link per reimpostare la password non è valido o è scaduto. "
                                  "Richiedine uno nuovo.")
    return render(request, "reset.html", 422, token=token, errors=errors,
                  problem="Controlla i campi evidenziati.")


@router.post("/conferma-email")
async def confirm_email(request: Request, gw: Api = Depends(api)):
    data = await form_data(request)
    result = await gw.post("/accounts/email/confirm", auth=False,
                           json={"token": data.get("token", "")})
    if result.ok:
        if request.session.get("user"):
            request.session["user"] = {**request.session["user"], "email": result.body["email"]}
        flash(request, "Indirizzo email confermato.")
        return redirect("/account" if gw.logged_in else "/accedi")
    problem = ("Questo indirizzo è già usato da un altro account." if result.status == 409 else
               "Il link di conferma non è valido o è scaduto.")
    return render(request, "confirm_email.html", 400, token=data.get("token", ""), problem=problem)
