"""PROCEDI ALL'ACQUISTO → Dati di Fatturazione → pagamento → COMPLETA L'ACQUISTO → conferma."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from sportello.contracts.idempotency import HEADER
from sportello.contracts.legal import TERMS_VERSION
from sportello.settings import payment_return_path, payment_return_url
from sportello.web.gateway import Api, ApiResult
from sportello.web.pages import api, flash, form_data, idempotency_key, poll, redirect

from sportello_storefront.answers import billing_from_form, form_values_from_billing
from sportello_storefront.routes.cart import EMPTY, load_cart
from sportello_storefront.web import SHOWN_BILLING, STALE_FORM, remember_cart_count, render

router = APIRouter()

# The order appears a few ms after checkout (an event away); give it this long before saying so.
ORDER_APPEAR_SECONDS = 8.0
PAYMENT_SETTLE_SECONDS = 4.0


async def load_billing(gw: Api) -> dict[str, Any] | None:
    result = await gw.get("/accounts/me/billing", require_login=True)
    return result.body if result.status == 200 else None


async def billing_values(gw: Api) -> dict[str, Any]:
    billing = await load_billing(gw)
    values = form_values_from_billing(billing)
    if not billing:
        # First purchase: start from the profile so the customer types less.
        me = await gw.get("/accounts/me", require_login=True)
        if me.ok:
            values.update({"first_name": me.body.get("first_name") or "",
                           "last_name": me.body.get("last_name") or "",
                           "email": me.body.get("email") or "", "phone": me.body.get("phone") or ""})
    return values


async def save_billing(gw: Api, data: dict[str, Any]) -> dict[str, Any] | None:
    """PUT the form's billing data to the profile: None when saved, else what the form shows
    again (the values as typed, the errors by field, the problem)."""
    result = await gw.call("PUT", "/accounts/me/billing", json=billing_from_form(data),
                           require_login=True)
    if result.ok:
        return None
    return {"values": data, "errors": result.field_errors(),
            "problem": result.detail or "Controlla i dati di fatturazione."}


@router.get("/checkout")
async def checkout_start(request: Request, gw: Api = Depends(api)):
    if not gw.logged_in:
        flash(request, "Accedi o registrati per completare l'acquisto: il carrello resta com'è.",
              "info")
        return redirect("/accedi?next=/checkout/fatturazione")
    return redirect("/checkout/fatturazione")


@router.get("/checkout/fatturazione")
async def billing_page(request: Request, gw: Api = Depends(api)):
    cart = await load_cart(gw) if gw.logged_in else None
    values = await billing_values(gw)
    if not cart or not cart["lines"]:
        flash(request, "Il carrello è vuoto.", "error")
        return redirect("/carrello")
    return render(request, "checkout_billing.html", cart=cart, values=values)


@router.post("/checkout/fatturazione")
async def billing_save(request: Request, gw: Api = Depends(api)):
    if (again := await save_billing(gw, await form_data(request))) is None:
        return redirect("/checkout/pagamento")
    return render(request, "checkout_billing.html", 422, cart=await load_cart(gw), **again)


@router.get("/checkout/pagamento")
async def payment_page(request: Request, gw: Api = Depends(api)):
    billing = await load_billing(gw)
    if billing is None:
        return redirect("/checkout/fatturazione")
    cart = await taxed_cart(gw, billing)
    if not cart["lines"]:
        flash(request, "Il carrello è vuoto.", "error")
        return redirect("/carrello")
    # What the customer reads here is what COMPLETA L'ACQUISTO buys with: no second read of
    # the profile at the last step (and an edit in another tab does not change it unseen).
    request.session[SHOWN_BILLING] = billing
    return render(request, "checkout_payment.html", cart=cart, billing=billing,
                  values={"payment_method": "card"}, key=str(uuid.uuid4()),
                  terms_version=TERMS_VERSION)


async def taxed_cart(gw: Api, billing: dict[str, Any]) -> dict[str, Any]:
    """The cart as checkout will charge it for these billing data (VAT treatment, stamp duty);
    the plain cart if the preview cannot be had."""
    result = await gw.post("/cart/preview", json={"billing": billing}, require_login=True)
    if result.status == 200 and isinstance(result.body, dict):
        return result.body
    return await load_cart(gw)


async def wait_for_order(gw: Api, order_id: str, timeout: float = ORDER_APPEAR_SECONDS,
                         while_status: frozenset[str] = frozenset(),
                         wait_missing: bool = True) -> ApiResult:
    """GET the order until it exists (if `wait_missing`) and its status has left `while_status`
    (or time is up)."""
    last: list[ApiResult] = []

    async def check() -> bool:
        result = await gw.get(f"/orders/{order_id}", require_login=True)
        last[:] = [result]
        if result.status != 200:
            # Anything but "not yet" ends the wait; so does "not found" where it cannot be "yet".
            return result.status != 404 or not wait_missing
        return result.body.get("status") not in while_status

    await poll(check, timeout)
    return last[0]


# What a card outcome from the provider's page waits out: its webhook may still be on the way.
UNSETTLED = {
    "ok": frozenset({"awaiting_payment", "payment_failed"}),
    "ko": frozenset({"awaiting_payment"}),
}


async def start_payment(request: Request, gw: Api, order_id: str) -> ApiResult:
    return await gw.post(f"/orders/{order_id}/pay",
                         json={"return_url": payment_return_url(request.app.state.settings,
                                                                order_id)}, require_login=True)


@router.post("/checkout/completa")
async def complete(request: Request, gw: Api = Depends(api)):
    data = await form_data(request)
    method = data.get("payment_method")
    billing = request.session.get(SHOWN_BILLING) or await load_billing(gw)
    if billing is None:
        return redirect("/checkout/fatturazione")
    errors = {}
    if method not in ("card", "bank_transfer"):
        errors["payment_method"] = "Scegli un metodo di pagamento."
    if not data.get("terms_version"):
        errors["terms_version"] = ("Per completare l'acquisto accetta le condizioni di vendita.")
    if errors:
        return render(request, "checkout_payment.html", 422, cart=await taxed_cart(gw, billing),
                      billing=billing, values=data, errors=errors, key=str(uuid.uuid4()),
                      terms_version=TERMS_VERSION)
    if (key := idempotency_key(data)) is None:
        return render(request, "checkout_payment.html", 422, cart=await taxed_cart(gw, billing),
                      billing=billing, values=data, key=str(uuid.uuid4()), problem=STALE_FORM,
                      terms_version=TERMS_VERSION)
    early_start = billing.get("customer_type") == "privato" and bool(data.get("early_start_consent"))
    result = await gw.post("/cart/checkout", json={
        "billing": billing, "payment_method": method, "terms_version": data["terms_version"],
        "early_start_consent": early_start}, headers={HEADER: key}, require_login=True)
    if result.status != 202:
        errors = result.field_errors(strip_prefix="billing.")
        if result.status == 422 and set(errors) - {"payment_method", "terms_version"}:
            flash(request, "Controlla i dati di fatturazione.", "error")
            return redirect("/checkout/fatturazione")
        line_problems = result.body.get("lines", []) if isinstance(result.body, dict) else []
        # The cart is read only here: a checkout that went through has emptied it.
        cart = await taxed_cart(gw, billing)
        # A page from before a new version of the conditions: ask to accept the one in force.
        values = {k: v for k, v in data.items() if k != "terms_version"}
        return render(request, "checkout_payment.html", 422 if result.status == 422 else 409,
                      cart=cart, billing=billing, values=values, errors=errors,
                      line_problems=line_problems, key=str(uuid.uuid4()),
                      terms_version=TERMS_VERSION,
                      problem=result.detail or "Non è stato possibile completare l'acquisto.")
    order_id = str(result.body["order_id"])
    remember_cart_count(request.session, EMPTY)  # the checkout emptied the cart
    request.session.pop(SHOWN_BILLING, None)
    if (await wait_for_order(gw, order_id)).status != 200:
        flash(request, "Ordine ricevuto: lo trovi tra qualche istante in I MIEI ORDINI.", "info")
        return redirect("/account/ordini")
    return await pay_redirect(request, gw, order_id, method)


async def pay_redirect(request: Request, gw: Api, order_id: str, method: str):
    if method == "bank_transfer":
        return redirect(payment_return_path(order_id))
    pay = await start_payment(request, gw, order_id)
    if pay.ok and isinstance(pay.body, dict) and pay.body.get("redirect_url"):
        return redirect(pay.body["redirect_url"])
    flash(request, pay.detail or "Non è stato possibile avviare il pagamento: riprova dall'ordine.",
          "error")
    return redirect(f"/account/ordini/{order_id}")


@router.post("/account/ordini/{order_id}/paga")
async def pay_again(order_id: str, request: Request, gw: Api = Depends(api)):
    await form_data(request)
    order = await gw.get(f"/orders/{order_id}", require_login=True)
    if order.status != 200:
        raise HTTPException(404)
    return await pay_redirect(request, gw, order_id, order.body.get("payment", {}).get("method"))


async def transfer_instructions(request: Request, gw: Api, order: dict[str, Any]) -> dict | None:
    """Bank transfer details (IBAN, causale) while the transfer is awaited."""
    payment = order.get("payment") or {}
    if payment.get("method") != "bank_transfer" or order.get("status") != "awaiting_payment":
        return None
    if payment.get("bank_transfer"):
        return payment["bank_transfer"]
    pay = await start_payment(request, gw, str(order["id"]))
    return pay.body if pay.ok and isinstance(pay.body, dict) and pay.body.get("iban") else None


# The orders service sends the provider back here by default too (its own return URL).
@router.get("/ordini/{order_id}/esito")
async def confirmation(order_id: str, request: Request, esito: str | None = None,
                       gw: Api = Depends(api)):
    # Back from the provider's page with an outcome, its webhook may still be on the way: wait a
    # moment for it. Abandoned ("annullato") or bank transfer: nothing to wait for.
    unsettled = UNSETTLED.get(esito or "", frozenset())
    # The order exists by now (checkout waited for it; the provider knows it): an unknown id is
    # a 404 at once, not seconds of polling the API.
    result = await wait_for_order(gw, order_id, PAYMENT_SETTLE_SECONDS, unsettled,
                                  wait_missing=False)
    if result.status != 200:
        raise HTTPException(404)
    order = result.body
    return render(request, "confirmation.html", order=order, abandoned=esito == "annullato",
                  verifying=order.get("status") in unsettled,
                  transfer=await transfer_instructions(request, gw, order))
