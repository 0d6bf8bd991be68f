"""Cruscotto: what needs a person now, each count a link to its queue; orders, revenue and the
quote funnel over the last 30 or 90 days as charts (charts.py) with their tables."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from babel.dates import format_date
from fastapi import APIRouter, Depends, Request
from sportello.formatting import LOCALE, eur
from sportello.web.gateway import Api

from sportello_backoffice.charts import Bar, bar_chart
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


# The periods of the charts (?giorni=); anything else is the first.
PERIODS = (30, 90)
FUNNEL = [("requested", "Richiesti"), ("quoted", "Prezzati"), ("accepted", "Accettati"),
          ("ordered", "Ordinati")]


@router.get("/")
async def dashboard(request: Request, giorni: str = "30", gw: Api = Depends(staff_api)):
    days = int(giorni) if giorni in {str(p) for p in PERIODS} else PERIODS[0]
    # The reads do not depend on each other: side by side.
    quotes, orders, emails, invoices = await asyncio.gather(
        gw.get("/staff/quotes/report", params={"days": days}, require_login=True),
        gw.get("/staff/orders/report", params={"days": days}, require_login=True),
        # No count route on notifications or invoicing: a first page says "100+".
        gw.get("/staff/notifications", params={"status": "failed", "limit": 100},
               require_login=True),
        gw.get("/staff/invoices", params={"status": "rejected", "limit": 100}, require_login=True),
    )
    quote_report, order_report = found(quotes), found(orders)
    quote_queues = quote_report.get("queues", {})
    order_queues = order_report.get("queues", {})
    tiles = [{"label": label, "count": str(quote_queues.get(key, 0)), "href": href}
             for key, label, href in QUOTE_QUEUES]
    tiles += [{"label": label, "count": str(order_queues.get(key, 0)), "href": href}
              for key, label, href in ORDER_QUEUES]
    tiles.append({"label": "Fatture scartate da SDI", "count": count_label(found(invoices)),
                  "href": "/fatture?stato=rejected"})
    tiles.append({"label": "Email non consegnate", "count": count_label(found(emails)),
                  "href": "/email"})
    return render(request, "dashboard.html", tiles=tiles, days=days, periods=PERIODS,
                  **_charts(days, order_report, quote_report))


def _charts(days: int, orders: dict[str, Any], quotes: dict[str, Any]) -> dict[str, Any]:
    """The three charts and the rows of their tables."""
    series = [(date.fromisoformat(d["day"]), d["orders"], d["revenue_gross_cents"])
              for d in orders.get("days", [])]
    every = 5 if days <= 30 else 15
    short = [format_date(d, "d MMM", locale=LOCALE) for d, _, _ in series]
    funnel = [(label, int(quotes.get(key) or 0)) for key, label in FUNNEL]
    conversion = quotes.get("conversion")
    hours = quotes.get("median_hours_to_price")
    return {
        "orders_chart": bar_chart("ordini", f"Ordini al giorno, ultimi {days} giorni",
                                  [Bar(s, n) for s, (_, n, _) in zip(short, series, strict=True)],
                                  "Giorno", "Ordini", label_every=every),
        "revenue_chart": bar_chart("ricavi", f"Incassi al giorno (IVA inclusa), ultimi {days} giorni",
                                   [Bar(s, c) for s, (_, _, c) in zip(short, series, strict=True)],
                                   "Giorno", "Euro", fmt=_euro_tick, label_every=every,
                                   min_top=100_00),
        "funnel_chart": bar_chart("funnel", f"Preventivi richiesti negli ultimi {days} giorni",
                                  [Bar(label, n) for label, n in funnel], "Fase", "Preventivi"),
        "series": [{"day": format_date(d, "EEE d MMM", locale=LOCALE), "orders": n,
                    "revenue": eur(c)} for d, n, c in series],
        "funnel": funnel,
        "orders_total": orders.get("orders", 0),
        "revenue_total": eur(int(orders.get("revenue_gross_cents") or 0)),
        "conversion": "—" if conversion is None else f"{conversion * 100:.1f} %".replace(".", ","),
        "median_to_price": "—" if hours is None else _hours(float(hours)),
    }


def _euro_tick(cents: int) -> str:
    """Whole euro on the axis (the table has the cents)."""
    return eur(cents).replace(",00", "")


def _hours(hours: float) -> str:
    if hours < 48:
        return f"{hours:.1f} ore".replace(".", ",")
    return f"{hours / 24:.1f} giorni".replace(".", ",")
