"""Nuovo preventivo: staff start a quote for a customer (a phone call, a visit) with catalog
services and free lines, priced by hand, sent at once (`POST /api/staff/quotes`, born quoted)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from sportello.formatting import ROME, cents_from_euro
from sportello.web.answers import ANSWER_PREFIX
from sportello.web.gateway import Api
from sportello.web.pages import flash, form_data, redirect
from starlette.exceptions import HTTPException

from sportello_backoffice.routes.quote_totals import customer_billing
from sportello_backoffice.web import found, render, staff_api

router = APIRouter()
# Plain HTML, no JavaScript: a fixed number of rows, the empty ones ignored.
ROWS = 5
MAX_QUANTITY = 100  # StaffLineIn's bound
DEFAULT_VALIDITY_DAYS = 30
CHECK = "Controlla i campi evidenziati: il preventivo non è stato creato."
PRICE_ERROR = "Indica il prezzo netto in euro, ad esempio 1.250,00."


def _row(i: int) -> str:
    return f"righe.{i}."


def _customer_id(customer_id: str) -> str:
    try:
        return str(uuid.UUID(customer_id))
    except ValueError:
        raise HTTPException(404) from None


async def _page(request: Request, gw: Api, customer_id: str, status_code: int = 200,
                values: dict[str, Any] | None = None, **context: Any):
    """The form for this customer: the active services to choose from and, for each row with a
    service chosen, that service's questions (its form, as the shop asks them)."""
    customer, services = await asyncio.gather(
        gw.get(f"/staff/accounts/{customer_id}", require_login=True),
        gw.get("/staff/catalog/services", require_login=True))
    customer_body = found(customer)
    offered = [s for s in found(services).get("items", []) if s.get("active")]
    values = values if values is not None else {
        "valid_until": (datetime.now(ROME).date() + timedelta(days=DEFAULT_VALIDITY_DAYS)).isoformat(),
        **{f"{_row(i)}quantita": "1" for i in range(ROWS)}}
    forms = await _service_forms(gw, {values.get(f"{_row(i)}servizio") for i in range(ROWS)},
                                 {s["slug"] for s in offered})
    return render(request, "new_quote.html", status_code, customer=customer_body,
                  services=offered, forms=forms, rows=range(ROWS), values=values,
                  billing=customer_billing(customer_body), **context)


async def _service_forms(gw: Api, slugs: set[Any], offered: set[str]) -> dict[str, Any]:
    """slug → the service's form definition, for the services chosen in some row, without its
    file questions (a plain form uploads nothing: staff deliver files on the quote's page)."""
    wanted = sorted(s for s in slugs if s and s in offered)
    results = await asyncio.gather(*(gw.get(f"/staff/catalog/services/{s}", require_login=True)
                                     for s in wanted))
    forms = {}
    for slug, r in zip(wanted, results, strict=True):
        form = r.body.get("form") if r.ok and isinstance(r.body, dict) else None
        if form:
            forms[slug] = {**form, "fields": [f for f in form.get("fields", [])
                                              if f.get("type") != "file"]}
    return forms


@router.get("/clienti/{customer_id}/nuovo-preventivo")
async def new_quote_form(request: Request, customer_id: str, gw: Api = Depends(staff_api)):
    return await _page(request, gw, _customer_id(customer_id))


def _lines(data: dict[str, Any]) -> tuple[list[dict[str, Any]], list[int], dict[str, str]]:
    """The filled rows as the API's lines, the row of each line, and the form's own errors (a
    price or a quantity that is not a number); the rest (a free line's description, a service's
    answers) quotes judges."""
    lines, rows, errors = [], [], {}
    for i in range(ROWS):
        p = _row(i)
        slug = str(data.get(f"{p}servizio", "")).strip()
        description = " ".join(str(data.get(f"{p}descrizione", "")).split())
        price_text = str(data.get(f"{p}prezzo", "")).strip()
        answers = {k[len(p) + len(ANSWER_PREFIX):]: v for k, v in data.items()
                   if k.startswith(p + ANSWER_PREFIX)}
        if not (slug or description or price_text):
            continue  # an empty row (its quantity defaults to 1 and says nothing)
        try:
            cents = cents_from_euro(price_text)
        except ValueError:
            cents = None
        if cents is None:
            errors[f"{p}prezzo"] = PRICE_ERROR
        quantity_text = str(data.get(f"{p}quantita", "") or "1").strip()
        quantity = int(quantity_text) if quantity_text.isdigit() else 0
        if not 1 <= quantity <= MAX_QUANTITY:
            errors[f"{p}quantita"] = f"Indica una quantità intera da 1 a {MAX_QUANTITY}."
        line: dict[str, Any] = {"quantity": quantity, "unit_net_cents": cents}
        if slug:
            line.update(service_slug=slug, answers=answers)
        else:
            line["description"] = description or None
        lines.append(line)
        rows.append(i)
    return lines, rows, errors


# The API's name of a line's attribute → the row's input (`answers.<name>`: the question's).
LINE_INPUTS = {"service_slug": "servizio", "description": "descrizione", "quantity": "quantita",
               "unit_net_cents": "prezzo", "answers": "servizio"}


def _input_of(name: str, rows: list[int]) -> str | None:
    """`lines.<j>.<attribute>` → the input of row rows[j]; `valid_until`, `note` as they are."""
    if name in ("valid_until", "note"):
        return name
    parts = name.split(".", 2)
    if len(parts) < 3 or parts[0] != "lines" or not parts[1].isdigit() or int(parts[1]) >= len(rows):
        return None
    j, attribute = int(parts[1]), parts[2]
    p = _row(rows[j])
    if attribute.startswith(ANSWER_PREFIX):  # the service's question, rendered in its row
        return f"{p}{attribute}"
    return f"{p}{LINE_INPUTS[attribute]}" if attribute in LINE_INPUTS else None


@router.post("/clienti/{customer_id}/nuovo-preventivo")
async def start_quote(request: Request, customer_id: str, gw: Api = Depends(staff_api)):
    customer_id = _customer_id(customer_id)
    data = await form_data(request)
    if data.get("azione") == "domande":  # show the chosen services' questions, create nothing
        return await _page(request, gw, customer_id, values=data)
    lines, rows, errors = _lines(data)
    valid_until = str(data.get("valid_until", "")).strip()
    try:
        date.fromisoformat(valid_until)  # a past date is quotes' rule (Rome days): it says so
    except ValueError:
        errors["valid_until"] = "Indica una data nel formato AAAA-MM-GG."
    problem = CHECK
    if not lines:
        problem = "Aggiungi almeno una riga: un servizio del catalogo o una voce libera con il prezzo."
    if errors or not lines:
        return await _page(request, gw, customer_id, 422, values=data, errors=errors,
                           problem=problem)
    customer = found(await gw.get(f"/staff/accounts/{customer_id}", require_login=True))
    note = str(data.get("note", "")).strip()
    body: dict[str, Any] = {"customer_id": customer_id, "lines": lines, "valid_until": valid_until,
                            "note": note or None}
    # The customer's saved billing data, as the issue form sends them: taxed as staff expect.
    billing = customer_billing(customer)
    if billing is not None:
        body["billing"] = billing.model_dump(mode="json")
    result = await gw.post("/staff/quotes", json=body, require_login=True)
    if result.ok:
        flash(request, f"Preventivo {result.body.get('number', '')} creato e inviato al cliente.")
        return redirect(f"/preventivi/{result.body['id']}")
    if result.status in (403, 404):
        found(result)
    others = []
    for name, message in result.field_errors().items():
        if where := _input_of(name, rows):
            errors.setdefault(where, message)
        else:
            others.append(message)
    problem = " ".join([CHECK, *others]) if others or errors else (result.detail or CHECK)
    return await _page(request, gw, customer_id, 409 if result.status == 409 else 422,
                       values=data, errors=errors, problem=problem)
