"""Clienti: search customers by name, email, codice fiscale or partita IVA (accounts' staff
route), and one customer with their billing data, orders and quotes."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from sportello.web.gateway import Api
from starlette.exceptions import HTTPException

from sportello_backoffice.web import found, render, staff_api

router = APIRouter()


@router.get("/clienti")
async def customer_list(request: Request, q: str = "", cursor: str | None = None,
                        gw: Api = Depends(staff_api)):
    query = " ".join(q.split())[:100]
    params: dict[str, Any] = {"limit": 50}
    if query:
        params["q"] = query
    if cursor:
        params["cursor"] = cursor[:500]
    result = await gw.get("/staff/accounts", params=params, require_login=True)
    if result.status == 422:  # a stale or forged cursor: the first page instead
        params.pop("cursor", None)
        result = await gw.get("/staff/accounts", params=params, require_login=True)
    page = found(result)
    return render(request, "customers.html", q=query, customers=page.get("items", []),
                  next_cursor=page.get("next_cursor"))


@router.get("/clienti/{customer_id}")
async def customer_detail(request: Request, customer_id: str, gw: Api = Depends(staff_api)):
    try:
        uuid.UUID(customer_id)
    except ValueError:
        raise HTTPException(404) from None
    customer = found(await gw.get(f"/staff/accounts/{customer_id}", require_login=True))
    wanted = {"customer_id": customer_id, "limit": 20}
    orders = found(await gw.get("/staff/orders", params=wanted, require_login=True))
    quotes = found(await gw.get("/staff/quotes", params=wanted, require_login=True))
    return render(request, "customer.html", customer=customer,
                  orders=orders.get("items", []), more_orders=bool(orders.get("next_cursor")),
                  quotes=quotes.get("items", []), more_quotes=bool(quotes.get("next_cursor")))
