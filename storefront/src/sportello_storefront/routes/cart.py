"""Carrello and Carrello Preventivi: lines with their answers, remove, totals; sending a request."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from sportello.contracts.idempotency import HEADER
from sportello.formatting import cents_from_euro
from sportello.web.gateway import Api
from sportello.web.pages import api, flash, flash_outcome, form_data, idempotency_key, redirect

from sportello_storefront.web import STALE_FORM, bump_cart_count, remember_cart_count, render

router = APIRouter()

EMPTY = {"lines": [], "totals": {"net_cents": 0, "vat_cents": 0, "gross_cents": 0}}


MIN_QUANTITY, MAX_QUANTITY = 1, 100
QUANTITY_ERROR = f"La quantità deve essere un numero intero da {MIN_QUANTITY} a {MAX_QUANTITY}."


async def load_cart(gw: Api, path: str = "/cart") -> dict[str, Any]:
    """The visitor's cart, or an empty one if they have none yet (or it is gone). Reading the
    purchase cart also refreshes the header's line count kept in the session."""
    cart = await _read_cart(gw, path)
    if path == "/cart" and cart is not None:
        remember_cart_count(gw.session, cart)
    return cart if cart is not None else EMPTY


async def _read_cart(gw: Api, path: str) -> dict[str, Any] | None:
    """The cart; EMPTY when the visitor has none; None when the API could not say."""
    if not (gw.logged_in or gw.session.get("cart_token")):
        return EMPTY
    result = await gw.get(path)
    if result.ok and isinstance(result.body, dict):
        return result.body
    if result.status in (401, 404) and not gw.logged_in:
        gw.session.pop("cart_token", None)  # an anonymous cart that no longer exists
        return EMPTY
    return None


@router.get("/carrello")
async def cart_page(request: Request, gw: Api = Depends(api)):
    return render(request, "cart.html", cart=await load_cart(gw))


@router.post("/carrello/{line_id}/rimuovi")
async def remove_line(line_id: str, request: Request, gw: Api = Depends(api)):
    await form_data(request)
    result = await gw.call("DELETE", f"/cart/items/{line_id}")
    if result.ok:
        bump_cart_count(request.session, -1)
    flash_outcome(request, result.ok or result.status == 404, result.detail,
                  "Servizio rimosso dal carrello.", "Non è stato possibile rimuovere la riga.")
    return redirect("/carrello")


def parse_quantity(raw: Any) -> int | None:
    try:
        quantity = int(str(raw or "").strip())
    except ValueError:
        return None
    return quantity if MIN_QUANTITY <= quantity <= MAX_QUANTITY else None


@router.post("/carrello/{line_id}/quantita")
async def change_quantity(line_id: str, request: Request, gw: Api = Depends(api)):
    """Change a line's quantity (the API re-prices it); on a refusal the cart page is shown
    again with the message next to that line and the line as it was."""
    data = await form_data(request)
    typed = str(data.get("quantity") or "").strip()
    quantity = parse_quantity(typed)
    if quantity is None:
        status, problem = 422, QUANTITY_ERROR
    else:
        result = await gw.call("PATCH", f"/cart/items/{line_id}", json={"quantity": quantity})
        if result.ok:
            flash(request, "Quantità aggiornata.")
            return redirect("/carrello")
        if result.status == 404:
            flash(request, "La riga del carrello non esiste più.", "error")
            return redirect("/carrello")
        status = 422 if result.status == 422 else 409
        problem = (result.detail or next(iter(result.field_errors().values()), "")
                   or "Non è stato possibile aggiornare la quantità.")
    return render(request, "cart.html", status, cart=await load_cart(gw),
                  line_errors={line_id: problem}, line_values={line_id: typed})


@router.get("/carrello-preventivi")
async def quote_cart_page(request: Request, gw: Api = Depends(api)):
    return render(request, "quote_cart.html", cart=await load_cart(gw, "/cart/quote"))


@router.post("/carrello-preventivi/{line_id}/rimuovi")
async def remove_quote_line(line_id: str, request: Request, gw: Api = Depends(api)):
    await form_data(request)
    result = await gw.call("DELETE", f"/cart/quote/items/{line_id}")
    flash_outcome(request, result.ok or result.status == 404, result.detail,
                  "Servizio rimosso dal carrello preventivi.",
                  "Non è stato possibile rimuovere la riga.")
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
    if (key := idempotency_key(data)) is None:
        return render(request, "quote_request.html", 422, cart=await load_cart(gw, "/cart/quote"),
                      key=str(uuid.uuid4()), values=data, problem=STALE_FORM)
    body = {"message": (data.get("message") or "").strip() or None,
            "wanted_by": (data.get("wanted_by") or "").strip() or None}
    try:
        body["budget_cents"] = cents_from_euro(data.get("budget"))
    except ValueError:
        cart = await load_cart(gw, "/cart/quote")
        return render(request, "quote_request.html", 422, cart=cart, key=str(uuid.uuid4()),
                      values=data, errors={"budget": "Indica un importo in euro, ad esempio 1.500."},
                      problem="Controlla i dati evidenziati.")
    result = await gw.post("/cart/quote/submit", json=body, headers={HEADER: key},
                           require_login=True)
    if result.status == 202:
        return redirect(f"/preventivo/inviato/{result.body['quote_id']}")
    cart = await load_cart(gw, "/cart/quote")
    errors = result.field_errors()
    if "budget_cents" in errors:
        errors["budget"] = errors.pop("budget_cents")
    return render(request, "quote_request.html", 422 if result.status == 422 else 409, cart=cart,
                  key=str(uuid.uuid4()), values=data, errors=errors,
                  problem=result.detail or "Non è stato possibile inviare la richiesta.")


@router.get("/preventivo/inviato/{quote_id}")
async def quote_sent(quote_id: str, request: Request, gw: Api = Depends(api)):
    if not gw.logged_in:
        return redirect("/accedi")
    return render(request, "quote_sent.html", quote_id=quote_id)
