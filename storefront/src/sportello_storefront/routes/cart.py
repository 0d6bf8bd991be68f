"""Carrello and Carrello Preventivi: lines with their answers, remove, totals; sending a request."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request

from sportello_storefront.gateway import Api
from sportello_storefront.web import api, flash, form_data, idempotency_key, redirect, render

router = APIRouter()

EMPTY = {"lines": [], "totals": {"net_cents": 0, "vat_cents": 0, "gross_cents": 0}}


async def load_cart(gw: Api, path: str = "/cart") -> dict[str, Any]:
    """The visitor's cart, or an empty one if they have none yet (or it is gone)."""
    if not (gw.logged_in or gw.session.get("cart_token")):
        return EMPTY
    result = await gw.get(path)
    if result.ok and isinstance(result.body, dict):
        return result.body
    if result.status in (401, 404) and not gw.logged_in:
        gw.session.pop("cart_token", None)  # an anonymous cart that no longer exists
    return EMPTY


@router.get("/carrello")
async def cart_page(request: Request, gw: Api = Depends(api)):
    return render(request, "cart.html", cart=await load_cart(gw))


@router.post("/carrello/{line_id}/rimuovi")
async def remove_line(line_id: str, request: Request, gw: Api = Depends(api)):
    await form_data(request)
    result = await gw.call("DELETE", f"/cart/items/{line_id}")
    if result.ok or result.status == 404:
        flash(request, "Servizio rimosso dal carrello.")
    else:
        flash(request, result.detail or "Non è stato possibile rimuovere la riga.", "error")
    return redirect("/carrello")


@router.get("/carrello-preventivi")
async def quote_cart_page(request: Request, gw: Api = Depends(api)):
    return render(request, "quote_cart.html", cart=await load_cart(gw, "/cart/quote"))


@router.post("/carrello-preventivi/{line_id}/rimuovi")
async def remove_quote_line(line_id: str, request: Request, gw: Api = Depends(api)):
    await form_data(request)
    result = await gw.call("DELETE", f"/cart/quote/items/{line_id}")
    if result.ok or result.status == 404:
        flash(request, "Servizio rimosso dal carrello preventivi.")
    else:
        flash(request, result.detail or "Non è stato possibile rimuovere la riga.", "error")
    return redirect("/carrello-preventivi")


@router.get("/preventivo/richiesta")
async def quote_request_page(request: Request, gw: Api = Depends(api)):
    cart = await load_cart(gw, "/cart/quote") if gw.logged_in else EMPTY
    if not gw.logged_in:
        flash(request, "Accedi o registrati per inviare la richiesta di preventivo.", "info")
        return redirect("/accedi?next=/preventivo/richiesta")
    if not cart["lines"]:
        flash(request, "Il carrello preventivi è vuoto.", "error")
        return redirect("/carrello-preventivi")
    return render(request, "quote_request.html", cart=cart, key=str(uuid.uuid4()))


@router.post("/preventivo/richiesta")
async def submit_quote_request(request: Request, gw: Api = Depends(api)):
    data = await form_data(request)
    message = (data.get("message") or "").strip() or None
    result = await gw.post("/cart/quote/submit", json={"message": message},
                           headers={"Idempotency-Key": idempotency_key(data)}, require_login=True)
    if result.status == 202:
        return redirect(f"/preventivo/inviato/{result.body['quote_id']}")
    cart = await load_cart(gw, "/cart/quote")
    return render(request, "quote_request.html", 422 if result.status == 422 else 409, cart=cart,
                  key=str(uuid.uuid4()),
                  values=data, errors=result.field_errors(),
                  problem=result.detail or "Non è stato possibile inviare la richiesta.")


@router.get("/preventivo/inviato/{quote_id}")
async def quote_sent(quote_id: str, request: Request, gw: Api = Depends(api)):
    if not gw.logged_in:
        return redirect("/accedi")
    return render(request, "quote_sent.html", quote_id=quote_id)
