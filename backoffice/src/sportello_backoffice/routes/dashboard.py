"""Cruscotto: what needs a person now, each count a link to its queue."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request
from sportello.web.gateway import Api

from sportello_backoffice.web import count_label, found, render, staff_api

router = APIRouter()


@router.get("/")
async def dashboard(request: Request, gw: Api = Depends(staff_api)):
    # One first page of each queue, side by side: the four reads do not depend on each other.
    quotes, awaiting, in_progress, emails = await asyncio.gather(
        gw.get("/staff/quotes", params={"status": "requested", "limit": 100}, require_login=True),
        gw.get("/staff/orders", params={"status": "awaiting_payment", "limit": 100},
               require_login=True),
        gw.get("/staff/orders", params={"status": "in_progress", "limit": 100}, require_login=True),
        gw.get("/staff/notifications", params={"status": "failed", "limit": 100},
               require_login=True),
    )
    awaiting_body = found(awaiting)
    transfers = [o for o in awaiting_body.get("items", []) if o.get("payment_method") == "bank_transfer"]
    tiles = [
        {"label": "Preventivi da prezzare", "count": count_label(found(quotes)),
         "href": "/preventivi?stato=requested"},
        {"label": "Bonifici da confermare",
         "count": f"{len(transfers)}+" if awaiting_body.get("next_cursor") else str(len(transfers)),
         "href": "/ordini?stato=awaiting_payment&pagamento=bank_transfer"},
        {"label": "Ordini in lavorazione", "count": count_label(found(in_progress)),
         "href": "/ordini?stato=in_progress"},
        {"label": "Email non consegnate", "count": count_label(found(emails)),
         "href": "/email"},
    ]
    return render(request, "dashboard.html", tiles=tiles)
