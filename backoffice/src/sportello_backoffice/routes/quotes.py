"""Preventivi: the queue by status, one quote with the customer's answers and conversation,
pricing each line with live totals (issue, re-issue), rejecting, writing to the customer, its documents and
delivering a file."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from sportello.formatting import ROME, cents_from_euro
from sportello.web.gateway import Api, ApiResult
from sportello.web.pages import flash, form_data, redirect

from sportello_backoffice.routes.documents import deliver, documents_of
from sportello_backoffice.routes.quote_totals import live_totals, quote_billing, render_block
from sportello_backoffice.web import QUOTE_STATUS, found, render, staff_api

router = APIRouter()
# A quote that may be priced (again): the API refuses the others with 409.
PRICEABLE = {"requested", "quoted", "changes_requested"}
DEFAULT_VALIDITY_DAYS = 30


@router.get("/preventivi")
async def quote_list(request: Request, stato: str = "requested", cursor: str | None = None,
                     gw: Api = Depends(staff_api)):
    status = stato if stato in QUOTE_STATUS else "requested"
    params: dict[str, Any] = {"status": status, "limit": 50}
    if cursor:
        params["cursor"] = cursor[:500]
    result = await gw.get("/staff/quotes", params=params, require_login=True)
    if result.status == 422:  # a stale or forged cursor: the first page instead
        result = await gw.get("/staff/quotes", params={"status": status, "limit": 50},
                              require_login=True)
    page = found(result)
    return render(request, "quotes.html", status=status, quotes=page.get("items", []),
                  next_cursor=page.get("next_cursor"))


async def _quote_page(request: Request, gw: Api, quote_id: str, status_code: int = 200,
                      **context: Any):
    quote, messages, documents = await asyncio.gather(
        gw.get(f"/staff/quotes/{quote_id}", require_login=True),
        gw.get(f"/staff/quotes/{quote_id}/messages", require_login=True),
        documents_of(gw, f"/staff/quotes/{quote_id}/documents"),
    )
    quote_body = found(quote)
    thread = messages.body.get("items", []) if messages.ok and isinstance(messages.body, dict) else []
    # What was typed wins over what was last issued (a form re-rendered with its errors).
    context["values"] = {**_price_values(quote_body), **context.get("values", {})}
    priceable = quote_body.get("status") in PRICEABLE
    if priceable:  # the totals of the prices in the form, also without JavaScript
        live = live_totals(quote_body, context["values"], await quote_billing(gw, quote_body),
                           request.app.state.settings.stamp_duty_charged)
        context["live_totals"] = render_block(quote_body, live)
    return render(request, "quote.html", status_code, quote=quote_body, thread=thread,
                  documents=documents, upload_to=f"/preventivi/{quote_id}/documenti",
                  priceable=priceable, **context)


def _price_values(quote: dict[str, Any]) -> dict[str, str]:
    """The pricing form as last issued (a re-issue starts from it), else empty with 30 days."""
    values = {f"prezzo-{line['line_id']}": _euro_text(line.get("unit_net_cents"))
              for line in quote.get("lines", [])}
    revisions = quote.get("revisions") or []
    if revisions:
        values["valid_until"] = str(revisions[-1].get("valid_until") or "")
        values["note"] = revisions[-1].get("note") or ""
    else:
        today = datetime.now(ROME).date()
        values["valid_until"] = (today + timedelta(days=DEFAULT_VALIDITY_DAYS)).isoformat()
    return values


def _euro_text(cents: int | None) -> str:
    if cents is None:
        return ""
    return f"{cents // 100},{cents % 100:02d}"


@router.get("/preventivi/{quote_id}")
async def quote_detail(request: Request, quote_id: str, gw: Api = Depends(staff_api)):
    return await _quote_page(request, gw, quote_id)


@router.post("/preventivi/{quote_id}/emetti")
async def issue(request: Request, quote_id: str, gw: Api = Depends(staff_api)):
    data = await form_data(request)
    quote = found(await gw.get(f"/staff/quotes/{quote_id}", require_login=True))
    errors: dict[str, str] = {}
    lines = []
    for line in quote.get("lines", []):
        name = f"prezzo-{line['line_id']}"
        try:
            cents = cents_from_euro(data.get(name))
        except ValueError:
            cents = None
        if cents is None:
            errors[name] = "Indica il prezzo netto in euro, ad esempio 1.250,00."
        else:
            lines.append({"line_id": line["line_id"], "unit_net_cents": cents})
    valid_until = str(data.get("valid_until", "")).strip()
    try:
        if date.fromisoformat(valid_until) < datetime.now(ROME).date():
            errors["valid_until"] = "La validità non può essere nel passato."
    except ValueError:
        errors["valid_until"] = "Indica una data nel formato AAAA-MM-GG."
    note = str(data.get("note", "")).strip()
    if not errors:
        body = {"lines": lines, "valid_until": valid_until, "note": note or None}
        # The billing data the live totals used: quotes taxes the lines for them, as staff saw.
        billing = await quote_billing(gw, quote)
        if billing is not None:
            body["billing"] = billing.model_dump(mode="json")
        result = await gw.post(f"/staff/quotes/{quote_id}/issue", json=body, require_login=True)
        if result.ok:
            flash(request, f"Preventivo {quote.get('number', '')} inviato al cliente.")
            return redirect(f"/preventivi/{quote_id}")
        return await _refused(request, gw, quote_id, result, data, _issue_field)
    return await _quote_page(request, gw, quote_id, 422, values=data, errors=errors,
                             problem="Controlla i campi evidenziati.")


def _issue_field(name: str) -> str:
    """The API's field of an issue error → the form's field ("lines.0.unit_net_cents" has no
    line id: it goes to the problem box)."""
    return name if name in ("valid_until", "note") else ""


async def _refused(request: Request, gw: Api, quote_id: str, result: ApiResult,
                   data: dict[str, Any], to_field) -> Any:
    """The API said no: its reason next to the field, or in the box (409: the quote moved on)."""
    if result.status in (403, 404):
        found(result)
    errors = {}
    for name, message in result.field_errors().items():
        errors[to_field(name) or "_"] = message
    problem = errors.pop("_", None) or result.detail or "Operazione non riuscita: controlla i campi."
    return await _quote_page(request, gw, quote_id, 409 if result.status == 409 else 422,
                             values=data, errors=errors, problem=problem)


@router.post("/preventivi/{quote_id}/respingi")
async def reject(request: Request, quote_id: str, gw: Api = Depends(staff_api)):
    data = await form_data(request)
    reason = str(data.get("reason", "")).strip()
    if not reason:
        return await _quote_page(request, gw, quote_id, 422, values=data,
                                 errors={"reason": "Scrivi il motivo: il cliente lo leggerà."},
                                 problem="Controlla i campi evidenziati.")
    result = await gw.post(f"/staff/quotes/{quote_id}/reject", json={"reason": reason},
                           require_login=True)
    if result.ok:
        flash(request, "Richiesta respinta: il cliente riceve il motivo.")
        return redirect(f"/preventivi/{quote_id}")
    return await _refused(request, gw, quote_id, result, data,
                          lambda name: "reason" if name == "reason" else "")


@router.post("/preventivi/{quote_id}/messaggi")
async def write(request: Request, quote_id: str, gw: Api = Depends(staff_api)):
    data = await form_data(request)
    body = str(data.get("body", "")).strip()
    if not body:
        return await _quote_page(request, gw, quote_id, 422, values=data,
                                 errors={"body": "Scrivi il messaggio."},
                                 problem="Controlla i campi evidenziati.")
    result = await gw.post(f"/staff/quotes/{quote_id}/messages", json={"body": body},
                           require_login=True)
    if result.ok:
        flash(request, "Messaggio inviato al cliente.")
        return redirect(f"/preventivi/{quote_id}#conversazione")
    return await _refused(request, gw, quote_id, result, data,
                          lambda name: "body" if name == "body" else "")


@router.post("/preventivi/{quote_id}/documenti")
async def deliver_to_quote(request: Request, quote_id: str, gw: Api = Depends(staff_api)):
    refused = await deliver(request, gw, f"/staff/quotes/{quote_id}/documents")
    if refused is None:
        return redirect(f"/preventivi/{quote_id}#documenti")
    return await _quote_page(request, gw, quote_id, refused.status, values=refused.values,
                             errors=refused.errors, problem=refused.problem)
