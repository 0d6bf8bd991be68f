"""Servizi: home, categories, the header's menu and search, the service page with its form and
its live price, adding or correcting a cart line."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from sportello.contracts.forms import FormDefinition, price_answers, price_from
from sportello.web.answers import default_values
from sportello.web.filters import money
from sportello.web.gateway import Api
from sportello.web.pages import api, flash, form_data, redirect
from starlette.datastructures import UploadFile

from sportello_storefront import uploads
from sportello_storefront.answers import answers_from_form, form_values_from_answers
from sportello_storefront.web import bump_cart_count, remember_cart_count, render

router = APIRouter()


async def categories(gw: Api) -> list[dict[str, Any]]:
    result = await gw.get("/catalog/categories", auth=False)
    return result.body if result.ok and isinstance(result.body, list) else []


@router.get("/")
async def home(request: Request, gw: Api = Depends(api)):
    return render(request, "home.html", categories=await categories(gw))


@router.get("/servizi")
async def services_index(request: Request, gw: Api = Depends(api)):
    return render(request, "services.html", categories=await categories(gw))


@router.get("/menu/servizi")
async def services_menu(gw: Api = Depends(api)):
    """The categories of the header's Servizi menu (menu.js), as links."""
    return JSONResponse([{"name": c.get("name"), "url": f"/servizi/{c.get('slug')}"}
                         for c in await categories(gw)])


SEARCH_PAGE_SIZE = 12
MAX_QUERY = 200


@router.get("/cerca")
async def search_page(request: Request, q: str = "", pagina: str | None = None,
                      gw: Api = Depends(api)):
    """The header's search: the catalog's Italian search, its results as service cards."""
    q = q.strip()[:MAX_QUERY]
    results, next_cursor, problem = [], None, None
    if q:
        params = {"q": q, "limit": SEARCH_PAGE_SIZE, **({"cursor": pagina} if pagina else {})}
        result = await gw.get("/catalog/services", params=params, auth=False)
        if result.ok and isinstance(result.body, dict):
            results, next_cursor = result.body.get("items") or [], result.body.get("next_cursor")
        else:
            problem = "La ricerca non è riuscita: riprova con altre parole."
    return render(request, "search.html", 422 if problem else 200, search_q=q, results=results,
                  next_cursor=next_cursor, problem=problem)


@router.get("/servizi/{slug}")
async def category_page(slug: str, request: Request, gw: Api = Depends(api)):
    result = await gw.get(f"/catalog/categories/{slug}", auth=False)
    if result.status != 200:
        raise HTTPException(404)
    return render(request, "category.html", category=result.body, categories=await categories(gw))


def cart_kind(service: dict[str, Any], wanted: str | None = None) -> str:
    """Which cart a line of this service goes to: quote-only services always to the quote cart;
    fixed-price ones that also allow a quote (`quote_allowed`) to the one the customer chose."""
    if service.get("pricing_mode") == "quote":
        return "quote"
    if wanted == "quote" and service.get("quote_allowed"):
        return "quote"
    return "purchase"


def cart_path(kind: str) -> str:
    """The API path of the purchase cart or of the quote cart."""
    return "/cart/quote" if kind == "quote" else "/cart"


async def service_or_404(gw: Api, slug: str) -> dict[str, Any]:
    result = await gw.get(f"/catalog/services/{slug}", auth=False)
    if result.status != 200 or not isinstance(result.body, dict):
        raise HTTPException(404)
    return result.body


async def find_line(gw: Api, kind: str, line_id: str) -> dict[str, Any] | None:
    if not (gw.logged_in or gw.session.get("cart_token")):
        return None
    result = await gw.get(cart_path(kind))
    if not result.ok:
        return None
    return next((ln for ln in result.body.get("lines", []) if str(ln.get("id")) == line_id), None)


def service_page(request: Request, service: dict[str, Any], *, kind: str,
                 line: dict[str, Any] | None = None, values: dict[str, Any] | None = None,
                 errors: dict[str, str] | None = None, status_code: int = 200,
                 problem: str | None = None, return_to: str | None = None,
                 held: dict[str, list] | None = None):
    form = FormDefinition.model_validate(service.get("form") or {})
    from_cents = service.get("price_from_cents")
    if from_cents is None and service.get("pricing_mode") != "quote":
        from_cents = price_from(form, service.get("base_net_cents"))
    if values is None:
        values = default_values(form)
    return render(request, "service.html", status_code, service=service, form=form, line=line,
                  kind=kind, price_from_cents=from_cents, values=values,
                  errors=errors or {}, problem=problem, return_to=return_to, held=held or {},
                  cancel_url=RETURN_TO.get(return_to or "", "/carrello"))


# Where a correction started, when not from the cart: `da` names the page it returns to.
RETURN_TO = {"pagamento": "/checkout/pagamento"}


@router.get("/servizio/{slug}")
async def service_detail(slug: str, request: Request, riga: str | None = None,
                         carrello: str | None = None, da: str | None = None,
                         gw: Api = Depends(api)):
    service = await service_or_404(gw, slug)
    kind = cart_kind(service, "quote" if carrello == "preventivi" else None)
    line = await find_line(gw, kind, riga) if riga else None
    if riga and line is None:
        flash(request, "La riga del carrello non esiste più.", "error")
    values = form_values_from_answers(line["answers"]) if line else None
    return service_page(request, service, kind=kind, line=line, values=values,
                        return_to=da if line and da in RETURN_TO else None)


@router.get("/servizio/{slug}/prezzo")
async def live_price(slug: str, request: Request, gw: Api = Depends(api)):
    """The live price of the service page (price.js): the answers so far priced by the same
    shared function the cart prices the line with, so the page and the cart never disagree."""
    service = await service_or_404(gw, slug)
    if service.get("pricing_mode") == "quote":
        raise HTTPException(404)
    form = FormDefinition.model_validate(service.get("form") or {})
    answers = answers_from_form(dict(request.query_params))
    priced, errors = price_answers(form, service.get("base_net_cents"), answers)
    if priced is None:
        # Not all answered yet (or not valid): say which, the page keeps showing "da …".
        return JSONResponse({"complete": False, "fields": [e.field for e in errors]})
    entries = [{**e.model_dump(), "amount": money(e.amount_cents)}
               for e in priced.price_breakdown.entries]
    return JSONResponse({"complete": True, "unit_net_cents": priced.unit_net_cents,
                         "unit": money(priced.unit_net_cents), "price_breakdown": entries,
                         "price_breakdown_text": priced.price_breakdown.text})


@router.post("/servizio/{slug}")
async def add_or_correct(slug: str, request: Request, gw: Api = Depends(api)):
    service = await service_or_404(gw, slug)
    if int(request.headers.get("content-length") or 0) > uploads.max_body_bytes(service):
        return service_page(request, service, kind=cart_kind(service, None), status_code=413,
                            problem="I file inviati insieme superano i 50 MB: inviane meno per "
                                    "volta, o aggiungi gli altri correggendo la riga nel carrello.")
    data = uploads.without_receipts(await form_data(request))
    kind = cart_kind(service, data.get("cart"))
    answers = answers_from_form(data)
    line_id = data.get("line_id") or None
    line = await find_line(gw, kind, line_id) if line_id else None
    if line_id and line is None:
        flash(request, "La riga del carrello non esiste più: aggiungi di nuovo il servizio.", "error")
        return redirect(f"/servizio/{slug}")
    if not line:
        if not (gw.logged_in or gw.session.get("cart_token")):
            remember_cart_count(gw.session, {"lines": []})  # a new visitor's cart is empty
        await gw.ensure_cart_token()
    files = await uploads.file_answers(gw, service, await request.form(), line)
    answers = {**{k: v for k, v in answers.items() if k not in files.held}, **files.answers}
    return_to = data.get("da") if line and data.get("da") in RETURN_TO else None
    if files.errors:
        return service_page(request, service, kind=kind, line=line, values=data, status_code=422,
                            errors=files.errors, problem="Controlla i campi evidenziati.",
                            return_to=return_to, held=files.held)
    if line:
        result = await gw.call("PATCH", f"{cart_path(kind)}/items/{line_id}", json={"answers": answers})
    else:
        result = await gw.post(f"{cart_path(kind)}/items",
                               json={"service_slug": slug, "answers": answers, "quantity": 1})
    if result.status == 422:
        return service_page(request, service, kind=kind, line=line, values=data, status_code=422,
                            errors=result.field_errors(), problem="Controlla i campi evidenziati.",
                            return_to=return_to, held=files.held)
    if not result.ok:
        return service_page(request, service, kind=kind, line=line, values=data, status_code=409,
                            problem=result.detail or "Non è stato possibile aggiungere il servizio.",
                            return_to=return_to)
    if return_to:
        flash(request, "Riga aggiornata: controlla e completa l'acquisto.")
        return redirect(RETURN_TO[return_to])
    if kind == "quote":
        flash(request, "Richiesta aggiornata." if line else
              f"«{service['name']}» è nel carrello preventivi.")
        return redirect("/carrello-preventivi")
    if not line:
        bump_cart_count(request.session, 1)
    flash(request, "Riga del carrello aggiornata." if line else
          f"«{service['name']}» è stato aggiunto al carrello.")
    return redirect("/carrello")


@router.post("/documenti")
async def upload_document(request: Request, gw: Api = Depends(api)):
    """One file of a service form, sent by upload.js as soon as it is chosen: its receipt."""
    if int(request.headers.get("content-length") or 0) > uploads.MAX_ONE_FILE:
        return JSONResponse({"detail": "Il file supera il limite di 25 MB."}, status_code=413)
    await form_data(request)
    file = (await request.form()).get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return JSONResponse({"detail": "Scegli un file da caricare."}, status_code=422)
    await gw.ensure_cart_token()
    result = await gw.upload("/documents", file.filename, file.file, file.content_type)
    if result.status != 201 or not isinstance(result.body, dict):
        return JSONResponse({"detail": result.detail or "Caricamento non riuscito, riprova."},
                            status_code=result.status if 400 <= result.status < 500 else 502)
    body = result.body
    return JSONResponse({k: body[k] for k in ("id", "name", "size_bytes", "content_type",
                                              "receipt")}, status_code=201)


@router.get("/privacy")
async def privacy_notice(request: Request):
    return render(request, "privacy.html")
