"""IL MIO ACCOUNT: I MIEI ORDINI, I MIEI PREVENTIVI, PROFILO, DATI DI FATTURAZIONE, PRIVACY."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sportello.web.files import attachment
from sportello.web.gateway import Api
from sportello.web.pages import api, flash, flash_outcome, form_data, poll, redirect
from starlette.datastructures import UploadFile

from sportello_storefront import uploads
from sportello_storefront.routes.checkout import billing_values, save_billing, transfer_instructions
from sportello_storefront.web import new_session, render

router = APIRouter(prefix="/account")

ACCEPT_WAIT_SECONDS = 8.0


async def me(gw: Api) -> dict:
    result = await gw.get("/accounts/me", require_login=True)
    if not result.ok:
        raise HTTPException(404)
    return result.body


@router.get("")
async def dashboard(request: Request, gw: Api = Depends(api)):
    return render(request, "account/dashboard.html", section="", profile=await me(gw))


def add_list_page(path: str, api_path: str, section: str) -> None:
    """I MIEI ORDINI and I MIEI PREVENTIVI: one page of the API's list from `cursor` (an empty
    page if it cannot be read), in account/<section>.html."""

    async def list_page(request: Request, cursor: str | None = None, gw: Api = Depends(api)):
        params = {"limit": 20, **({"cursor": cursor} if cursor else {})}
        result = await gw.get(api_path, params=params, require_login=True)
        page = result.body if result.ok else {"items": [], "next_cursor": None}
        return render(request, f"account/{section}.html", section=section, page=page)

    router.add_api_route(path, list_page, methods=["GET"], name=section)


async def own_or_404(gw: Api, path: str) -> dict:
    """One order or quote of the customer; anything but 200 is a 404 page."""
    result = await gw.get(path, require_login=True)
    if result.status != 200:
        raise HTTPException(404)
    return result.body


async def change(request: Request, gw: Api, path: str, body: dict | None, done: str,
                 refused: str, back: str):
    """POST a change of an own order or quote, say how it went, and go back to its page."""
    result = await gw.post(path, json=body, require_login=True)
    if result.status == 404:
        raise HTTPException(404)
    flash_outcome(request, result.ok, result.detail, done, refused)
    return redirect(back)


add_list_page("/ordini", "/orders", "orders")
add_list_page("/preventivi", "/quotes", "quotes")


@router.get("/ordini/{order_id}")
async def order_detail(order_id: str, request: Request, gw: Api = Depends(api)):
    order = await own_or_404(gw, f"/orders/{order_id}")
    return render(request, "account/order.html", section="orders", order=order,
                  transfer=await transfer_instructions(request, gw, order),
                  documents=await documents_of(gw, f"/orders/{order_id}/documents"))


async def documents_of(gw: Api, path: str) -> list[dict]:
    """The files of an order or a quote; none while documents has not heard of it yet."""
    result = await gw.get(path, require_login=True)
    return result.body.get("items", []) if result.status == 200 and isinstance(result.body, dict) else []


@router.get("/documenti/{document_id}")
async def document_download(document_id: str, gw: Api = Depends(api)):
    """A file of the customer's passed on as an attachment, never shown inline."""
    return attachment(await gw.get(f"/documents/{document_id}", require_login=True))


@router.post("/ordini/{order_id}/annulla")
async def cancel_order(order_id: str, request: Request, gw: Api = Depends(api)):
    await form_data(request)
    return await change(request, gw, f"/orders/{order_id}/cancel", None, "Ordine annullato.",
                        "Questo ordine non può più essere annullato.", f"/account/ordini/{order_id}")


@router.post("/ordini/{order_id}/recedi")
async def withdraw_order(order_id: str, request: Request, gw: Api = Depends(api)):
    data = await form_data(request)
    reason = (data.get("reason") or "").strip()[:2000] or None
    return await change(request, gw, f"/orders/{order_id}/withdraw", {"reason": reason},
                        "Recesso inviato: ti abbiamo scritto per confermarne la ricezione.",
                        "Non è possibile recedere da questo ordine.", f"/account/ordini/{order_id}")


async def pdf_download(gw: Api, path: str) -> Response:
    """A PDF of the customer's (a quote, an invoice) passed on as the attachment it is."""
    return attachment(await gw.get(path, require_login=True), "application/pdf")


@router.get("/fatture/{invoice_id}/pdf")
async def invoice_pdf(invoice_id: str, gw: Api = Depends(api)):
    return await pdf_download(gw, f"/invoices/{invoice_id}/pdf")


@router.get("/preventivi/{quote_id}")
async def quote_detail(quote_id: str, request: Request, gw: Api = Depends(api)):
    return render(request, "account/quote.html", section="quotes",
                  quote=await own_or_404(gw, f"/quotes/{quote_id}"),
                  documents=await documents_of(gw, f"/quotes/{quote_id}/documents"))


async def cart_has_quote_lines(gw: Api, quote_id: str) -> bool:
    cart = await gw.get("/cart", require_login=True)
    return cart.ok and any(str(ln.get("locked_by_quote")) == quote_id
                           for ln in cart.body.get("lines", []))


@router.post("/preventivi/{quote_id}/accetta")
async def accept_quote(quote_id: str, request: Request, gw: Api = Depends(api)):
    data = await form_data(request)
    # The revision the customer read: if staff re-issued it meanwhile, the API answers 409
    # instead of accepting prices the customer has not seen.
    revision = str(data.get("revision", ""))
    if not revision.isdigit():
        flash(request, "Ricarica il preventivo e riprova.", "error")
        return redirect(f"/account/preventivi/{quote_id}")
    result = await gw.post(f"/quotes/{quote_id}/accept", json={"revision": int(revision)},
                           require_login=True)
    if result.status == 404:
        raise HTTPException(404)
    if result.status != 202 and not result.ok:
        flash(request, result.detail or "Questo preventivo non può essere accettato.", "error")
        return redirect(f"/account/preventivi/{quote_id}")
    # The lines reach the cart through an event: wait briefly so the cart shows them.
    await poll(lambda: cart_has_quote_lines(gw, quote_id), ACCEPT_WAIT_SECONDS)
    flash(request, "Preventivo accettato: i servizi sono nel carrello al prezzo concordato.")
    return redirect("/carrello")


@router.post("/preventivi/{quote_id}/rifiuta")
async def decline_quote(quote_id: str, request: Request, gw: Api = Depends(api)):
    data = await form_data(request)
    reason = (data.get("reason") or "").strip() or None
    return await change(request, gw, f"/quotes/{quote_id}/decline", {"reason": reason},
                        "Hai rifiutato il preventivo.",
                        "Questo preventivo non può essere rifiutato.", f"/account/preventivi/{quote_id}")


@router.post("/preventivi/{quote_id}/messaggi")
async def write_about_quote(quote_id: str, request: Request, gw: Api = Depends(api)):
    """A message to staff, with files: each is uploaded first, the message names them."""
    if int(request.headers.get("content-length") or 0) > uploads.MAX_FORM_FILES + uploads.MB:
        flash(request, "I file allegati insieme superano i 50 MB: inviane meno per volta.", "error")
        return redirect(f"/account/preventivi/{quote_id}")
    data = await form_data(request)
    files = [f for f in (await request.form()).getlist("allegati")
             if isinstance(f, UploadFile) and f.filename]
    ids, problem = [], None
    for file in files[:MAX_MESSAGE_FILES]:
        result = await gw.upload("/documents", file.filename, file.file, file.content_type)
        if result.status != 201 or not isinstance(result.body, dict):
            problem = f"«{file.filename}»: {result.detail or 'caricamento non riuscito.'}"
            break
        ids.append(result.body["id"])
    if len(files) > MAX_MESSAGE_FILES:
        problem = f"Puoi allegare al massimo {MAX_MESSAGE_FILES} file per messaggio."
    if problem:
        quote = await own_or_404(gw, f"/quotes/{quote_id}")
        return render(request, "account/quote.html", 422, section="quotes", quote=quote,
                      values=data, errors={"allegati": problem},
                      documents=await documents_of(gw, f"/quotes/{quote_id}/documents"))
    result = await gw.post(f"/quotes/{quote_id}/messages", require_login=True,
                           json={"body": data.get("body", ""), "document_ids": ids})
    return await _after_quote_step(request, gw, quote_id, result, data, "body",
                                   "Messaggio inviato: ti risponderemo al più presto.")


MAX_MESSAGE_FILES = 5


@router.post("/preventivi/{quote_id}/modifica")
async def ask_quote_changes(quote_id: str, request: Request, gw: Api = Depends(api)):
    data = await form_data(request)
    result = await gw.post(f"/quotes/{quote_id}/request-changes",
                           json={"message": data.get("message", "")}, require_login=True)
    return await _after_quote_step(request, gw, quote_id, result, data, "message",
                                   "Richiesta di modifica inviata: riceverai il preventivo aggiornato.")


async def _after_quote_step(request: Request, gw: Api, quote_id: str, result, data: dict,
                            field: str, done: str):
    """Back to the quote page: with the flash on success, with the text kept and the error next
    to its field on a 422, with the reason on a 409."""
    if result.status == 404:
        raise HTTPException(404)
    if result.ok:
        flash(request, done)
        return redirect(f"/account/preventivi/{quote_id}")
    if result.status == 422:
        quote = await gw.get(f"/quotes/{quote_id}", require_login=True)
        errors = result.field_errors() or {field: result.detail}
        return render(request, "account/quote.html", 422, section="quotes", quote=quote.body,
                      values=data, errors=errors,
                      documents=await documents_of(gw, f"/quotes/{quote_id}/documents"))
    flash(request, result.detail or "Non è stato possibile completare la richiesta.", "error")
    return redirect(f"/account/preventivi/{quote_id}")


@router.get("/preventivi/{quote_id}/pdf")
async def quote_pdf(quote_id: str, gw: Api = Depends(api)):
    return await pdf_download(gw, f"/quotes/{quote_id}/pdf")


@router.get("/profilo")
async def profile(request: Request, gw: Api = Depends(api)):
    profile = await me(gw)
    return render(request, "account/profile.html", section="profile", profile=profile,
                  values=profile)


@router.post("/profilo")
async def profile_save(request: Request, gw: Api = Depends(api)):
    data = await form_data(request)
    body = {k: (data.get(k) or "").strip() for k in ("first_name", "last_name")}
    body["phone"] = (data.get("phone") or "").strip() or None
    result = await gw.call("PATCH", "/accounts/me", json=body, require_login=True)
    if result.ok:
        request.session["user"] = {"first_name": result.body.get("first_name"),
                                   "last_name": result.body.get("last_name"),
                                   "email": result.body.get("email")}
        flash(request, "Dati personali aggiornati.")
        return redirect("/account/profilo")
    return render(request, "account/profile.html", 422, section="profile", profile=await me(gw),
                  values=data, errors=result.field_errors(),
                  problem=result.detail or "Controlla i campi evidenziati.")


@router.post("/profilo/password")
async def password_save(request: Request, gw: Api = Depends(api)):
    data = await form_data(request)
    errors: dict[str, str] = {}
    if data.get("new_password") != data.get("new_password_confirm"):
        errors["new_password_confirm"] = "Le due password non coincidono."
    else:
        result = await gw.post("/accounts/me/password", require_login=True, json={
            "current_password": data.get("current_password", ""),
            "new_password": data.get("new_password", "")})
        if result.ok:
            flash(request, "Password aggiornata.")
            return redirect("/account/profilo")
        errors = result.field_errors()
        if not errors:
            errors["current_password"] = (
                "La password attuale non è corretta." if result.status in (401, 403)
                else result.detail or "Password non aggiornata.")
    profile = await me(gw)
    return render(request, "account/profile.html", 422, section="profile", profile=profile,
                  values=profile, errors=errors, problem="La password non è stata cambiata.")


@router.get("/fatturazione")
async def billing(request: Request, gw: Api = Depends(api)):
    return render(request, "account/billing.html", section="billing",
                  values=await billing_values(gw))


@router.post("/fatturazione")
async def billing_save(request: Request, gw: Api = Depends(api)):
    if (again := await save_billing(gw, await form_data(request))) is None:
        flash(request, "Dati di fatturazione salvati.")
        return redirect("/account/fatturazione")
    return render(request, "account/billing.html", 422, section="billing", **again)


@router.get("/privacy")
async def privacy(request: Request, gw: Api = Depends(api)):
    result = await gw.get("/accounts/me/privacy", require_login=True)
    return render(request, "account/privacy.html", section="privacy",
                  privacy=result.body if result.ok else {})


@router.post("/privacy")
async def privacy_save(request: Request, gw: Api = Depends(api)):
    data = await form_data(request)
    body = {"marketing_consent": data.get("marketing_consent") == "on"}
    if data.get("privacy_accepted") == "on":
        body["privacy_accepted"] = True  # accepting a newer version of the notice
    result = await gw.call("PUT", "/accounts/me/privacy", require_login=True, json=body)
    flash_outcome(request, result.ok, result.detail,
                  "Preferenze sul trattamento dei dati aggiornate.", "Preferenze non aggiornate.")
    return redirect("/account/privacy")


@router.get("/privacy/esporta")
async def export(request: Request, gw: Api = Depends(api)):
    result = await gw.get("/accounts/me/export", require_login=True)
    if not result.ok:
        raise HTTPException(404)
    return Response(json.dumps(result.body, ensure_ascii=False, indent=2),
                    media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="i-miei-dati.json"'})


@router.post("/privacy/elimina")
async def delete_account(request: Request, gw: Api = Depends(api)):
    data = await form_data(request)
    if data.get("confirm") != "on":
        errors = {"confirm": "Conferma di voler eliminare l'account."}
    else:
        result = await gw.call("DELETE", "/accounts/me", json={"password": data.get("password", "")},
                               require_login=True)
        if result.ok:
            request.session.clear()
            new_session(request)
            flash(request, "Il tuo account è stato eliminato. Ci dispiace vederti andare.")
            return redirect("/")
        errors = result.field_errors() or {"password": "La password non è corretta."}
    privacy = await gw.get("/accounts/me/privacy", require_login=True)
    return render(request, "account/privacy.html", 422, section="privacy",
                  privacy=privacy.body if privacy.ok else {}, errors=errors,
                  problem="L'account non è stato eliminato.")
