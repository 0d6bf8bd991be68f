"""Cruscotto: what needs a person now, each count a link to its queue."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request
from sportello.web.gateway import Api

from sportello_backoffice.web import count_label, found, render, staff_api

router = APIRouter()

# (service's queue key, label, the queue page): exact counts from the staff report routes.
QUOTE_QUEUES = [("to_price", "Preventivi da prezzare", "/preventivi?stato=requested"),
                ("changes_requested", "Modifiche richieste", "/preventivi?stato=changes_requested")]
ORDER_QUEUES = [
    ("transfers_to_confirm", "Bonifici da confermare",
     "/ordini?stato=awaiting_payment&pagamento=bank_transfer"),
    ("paid_to_start", "Ordini pagati da avviare", "/ordini?stato=paid"),
    ("in_progress", "Ordini in lavorazione", "/ordini?stato=in_progress"),
    ("withdrawals", "Recessi da gestire", "/ordini?stato=withdrawal_requested"),
]


@router.get("/")
async def dashboard(request: Request, gw: Api = Depends(staff_api)):
    # The three reads do not depend on each other: side by side.
    quotes, orders, emails = await asyncio.gather(
        gw.get("/staff/quotes/report", require_login=True),
        gw.get("/staff/orders/report", require_login=True),
        # No count route on notifications: the first page of failed emails says "100+".
        gw.get("/staff/notifications", params={"status": "failed", "limit": 100},
               require_login=True),
    )
    quote_queues = found(quotes).get("queues", {})
    order_queues = found(orders).get("queues", {})
    tiles = [{"label": label, "count": str(quote_queues.get(key, 0)), "href": href}
             for key, label, href in QUOTE_QUEUES]
    tiles += [{"label": label, "count": str(order_queues.get(key, 0)), "href": href}
              for key, label, href in ORDER_QUEUES]
    tiles.append({"label": "Email non consegnate", "count": count_label(found(emails)),
                  "href": "/email"})
    return render(request, "dashboard.html", tiles=tiles)
