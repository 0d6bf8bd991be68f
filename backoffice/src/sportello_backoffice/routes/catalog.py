"""Catalogo: categories and services (texts, pricing, VAT, publish and retire) and the form
builder with a preview of the form and its price as the shop renders and prices it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sportello.contracts.forms import FormDefinition, definition_errors, price_answers, price_from
from sportello.contracts.tax import EXEMPTIONS
from sportello.web.answers import ANSWER_PREFIX, answers_from_form, default_values
from sportello.web.gateway import Api, ApiResult
from sportello.web.pages import flash, form_data, redirect
from starlette.exceptions import HTTPException

from sportello_backoffice import builder
from sportello_backoffice.web import found, render, staff_api

router = APIRouter()
NEW = "nuovo"  # /catalogo/servizi/nuovo: the builder of a service not created yet
CHECK = "Controlla i campi evidenziati."


async def _categories(gw: Api) -> list[dict[str, Any]]:
    body = found(await gw.get("/catalog/categories"))
    return body if isinstance(body, list) else body.get("items", [])


async def _listing(gw: Api) -> dict[str, Any]:
    """The categories and every service (retired too), grouped by category."""
    services = found(await gw.get("/staff/catalog/services", require_login=True)).get("items", [])
    by_category: dict[str, list[dict[str, Any]]] = {}
    for s in services:
        by_category.setdefault(s["category"]["slug"], []).append(s)
    return {"categories": await _categories(gw), "by_category": by_category}


@router.get("/catalogo")
async def catalog(request: Request, gw: Api = Depends(staff_api)):
    return render(request, "catalog.html", **await _listing(gw))


# --- categories: inputs are named `<slug>.<attribute>`, the new one's `new.<attribute>` ---------


@router.post("/catalogo/categorie")
async def create_category(request: Request, gw: Api = Depends(staff_api)):
    data = await form_data(request)
    body = {k: str(data.get(f"new.{k}", "")).strip() for k in ("slug", "name", "description")}
    result = await gw.post("/staff/catalog/categories", json=body, require_login=True)
    if result.ok:
        flash(request, f"Categoria «{body['name']}» creata.")
        return redirect("/catalogo")
    return await _category_refused(request, gw, result, "new", data)


@router.post("/catalogo/categorie/{slug}")
async def update_category(request: Request, slug: str, gw: Api = Depends(staff_api)):
    data = await form_data(request)
    body = {k: str(data.get(f"{slug}.{k}", "")).strip() for k in ("name", "description")}
    result = await gw.call("PATCH", f"/staff/catalog/categories/{slug}", json=body,
                           require_login=True)
    if result.ok:
        flash(request, f"Categoria «{body['name']}» aggiornata.")
        return redirect("/catalogo")
    return await _category_refused(request, gw, result, slug, data)


async def _category_refused(request: Request, gw: Api, result: ApiResult, prefix: str,
                            data: dict[str, Any]):
    if result.status in (403, 404):
        found(result)
    errors = {f"{prefix}.{k}": v for k, v in result.field_errors().items()}
    return render(request, "catalog.html", 409 if result.status == 409 else 422,
                  **await _listing(gw), values=data, errors=errors,
                  problem=result.detail or CHECK)


# --- services: the builder --------------------------------------------------------------------


@router.get("/catalogo/servizi/{slug}")
async def service_page(request: Request, slug: str, categoria: str = "",
                       gw: Api = Depends(staff_api)):
    if slug == NEW:
        return await _builder(request, gw, builder.empty_draft(categoria[:80]), None)
    service = await _service(gw, slug)
    return await _builder(request, gw, builder.draft_from_service(service), service)


@router.post("/catalogo/servizi/{slug}")
async def edit_service(request: Request, slug: str, gw: Api = Depends(staff_api)):
    data = await form_data(request)
    service = None if slug == NEW else await _service(gw, slug)
    draft = builder.draft_from_form(data)
    if service is not None:
        draft["slug"] = slug  # a published service keeps its address
    action = str(data.get("azione", ""))
    if builder.apply(draft, action, str(data.get("nuovo_tipo", ""))):
        return await _builder(request, gw, draft, service, answers=data)
    if action != "salva":  # "Aggiorna anteprima" (or Enter in a text input)
        return await _builder(request, gw, draft, service, answers=data, check=True)
    body, errors = builder.to_api(draft)
    if errors:
        return await _builder(request, gw, draft, service, answers=data, errors=errors,
                              status_code=422, problem=CHECK)
    if service is None:
        result = await gw.post("/staff/catalog/services", json=body, require_login=True)
    else:
        body.pop("slug")
        result = await gw.call("PATCH", f"/staff/catalog/services/{slug}", json=body,
                               require_login=True)
    if result.ok:
        saved = result.body
        flash(request, f"Servizio «{saved['name']}» pubblicato (versione {saved['version']})."
              if saved.get("active") else f"Servizio «{saved['name']}» salvato: è ritirato, "
              "nel negozio non si vede finché non lo pubblichi.")
        return redirect(f"/catalogo/servizi/{saved['slug']}")
    if result.status == 403 or result.status == 404:
        found(result)
    errors, others = {}, []
    for name, message in result.field_errors().items():
        if where := builder.input_of(name):
            errors[where] = message
        else:
            others.append(message)
    problem = " ".join(others) or result.detail or CHECK
    return await _builder(request, gw, draft, service, answers=data, errors=errors,
                          status_code=409 if result.status == 409 else 422, problem=problem)


@router.post("/catalogo/servizi/{slug}/ritira")
async def retire(request: Request, slug: str, gw: Api = Depends(staff_api)):
    return await _move(request, gw, slug, "retire", "ritirato: nel negozio non si vede più")


@router.post("/catalogo/servizi/{slug}/pubblica")
async def publish(request: Request, slug: str, gw: Api = Depends(staff_api)):
    return await _move(request, gw, slug, "reactivate", "pubblicato: è di nuovo nel negozio")


async def _move(request: Request, gw: Api, slug: str, verb: str, done: str):
    await form_data(request)
    result = await gw.post(f"/staff/catalog/services/{slug}/{verb}", require_login=True)
    if result.ok:
        flash(request, f"Servizio «{result.body['name']}» {done}.")
    elif result.status in (403, 404):
        found(result)
    else:
        flash(request, result.detail or "Operazione non riuscita.", "error")
    return redirect(f"/catalogo/servizi/{slug}")


async def _service(gw: Api, slug: str) -> dict[str, Any]:
    if slug == NEW or len(slug) > 80:
        raise HTTPException(404)
    return found(await gw.get(f"/staff/catalog/services/{slug}", require_login=True))


def _preview(draft: dict[str, Any], answers: dict[str, Any] | None, check: bool
             ) -> dict[str, Any]:
    """The form as the shop renders it and the price of the preview's answers, priced by the
    shared `price_answers` the cart prices a line with."""
    body, _ = builder.to_api(draft)
    try:
        form = FormDefinition.model_validate(body["form"])
    except ValidationError:
        return {"form": None, "form_errors": {}}
    form_errors = {builder.input_of(f"form.{e.field}"): e.message for e in definition_errors(form)}
    if form_errors:
        return {"form": None, "form_errors": form_errors}
    base = body.get("base_net_cents")
    values = ({k: v for k, v in answers.items() if k.startswith(ANSWER_PREFIX)}
              if answers is not None else default_values(form))
    # Files carry no price and a preview has no uploads: the price is of the other answers.
    priced_form = FormDefinition(fields=[f for f in form.fields if f.type != "file"])
    priced, errors = price_answers(priced_form, base, answers_from_form(values))
    vat_bp = 0 if draft["vat_exemption"] else int(body.get("vat_rate_bp") or 0)
    return {
        "form": form, "form_errors": {}, "preview_values": values,
        "preview_errors": {e.field: e.message for e in errors} if check else {},
        "price_from_cents": price_from(form, base),
        "unit_net_cents": priced.unit_net_cents if priced else None,
        "breakdown": [e.model_dump() for e in priced.price_breakdown.entries] if priced else None,
        "preview_vat_bp": vat_bp,
    }


async def _builder(request: Request, gw: Api, draft: dict[str, Any],
                   service: dict[str, Any] | None, *, answers: dict[str, Any] | None = None,
                   errors: dict[str, str] | None = None, check: bool = False,
                   status_code: int = 200, problem: str | None = None):
    preview = _preview(draft, answers, check)
    errors = {**(preview.pop("form_errors") if check else {}), **(errors or {})}
    if check and errors and not problem:
        problem = CHECK
    return render(request, "service_edit.html", status_code, draft=draft, service=service,
                  new=service is None, categories=await _categories(gw),
                  values={**builder.flat(draft), **preview.pop("preview_values", {})},
                  errors={**errors, **preview.pop("preview_errors", {})}, problem=problem,
                  preview=preview, kind="quote" if draft["pricing_mode"] == "quote" else "purchase",
                  vat_suffix="esente IVA" if draft["vat_exemption"] else "+ IVA",
                  FIELD_TYPE_LABELS=builder.FIELD_TYPE_LABELS, VAT_RATES_BP=builder.VAT_RATES_BP,
                  EXEMPTIONS=EXEMPTIONS, CHOICE_TYPES=builder.CHOICE_TYPES,
                  storefront_url=request.app.state.settings.storefront_url.rstrip("/"))
