"""The back office's page glue: its templates, render, and the staff-only gate of every page.
What it shares with the storefront (CSRF, sessions, flash, errors) is in `sportello.web.pages`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sportello.contracts.labels import ORDER_STATUS_LABELS
from sportello.web import app_templates, pages
from sportello.web.filters import FILTERS
from sportello.web.gateway import Api, LoginRequired

HERE = Path(__file__).parent
templates = app_templates(HERE / "templates")
templates.env.filters.update(FILTERS)
templates.env.filters["order_status"] = lambda s: ORDER_STATUS_LABELS.get(s, s)

# The staff's words for a quote's status (the storefront's are the customer's: "Rifiutato da te").
QUOTE_STATUS = {
    "requested": "Da prezzare",
    "quoted": "Inviato al cliente",
    "changes_requested": "Modifica richiesta",
    "accepted": "Accettato",
    "ordered": "Ordinato",
    "declined": "Rifiutato dal cliente",
    "rejected": "Respinto",
    "expired": "Scaduto",
}
templates.env.filters["staff_quote_status"] = lambda s: QUOTE_STATUS.get(s, s)
ORDER_STATUSES = list(ORDER_STATUS_LABELS)
# An invoice's status on its way through SDI (invoicing's statuses), in the staff's words.
INVOICE_STATUS = {
    "issued": "Emessa, da inviare",
    "sent": "Inviata a SDI",
    "delivered": "Consegnata",
    "rejected": "Scartata da SDI",
    "not_delivered": "Non recapitata",
}
templates.env.filters["invoice_status"] = lambda s: INVOICE_STATUS.get(s, s)
# Where staff may move an order by hand (API.md: POST /api/staff/orders/{id}/status).
STAFF_MOVES = ["in_progress", "completed", "refunded", "cancelled"]
templates.env.globals.update(QUOTE_STATUS=QUOTE_STATUS, ORDER_STATUS_LABELS=ORDER_STATUS_LABELS,
                             STAFF_MOVES=STAFF_MOVES, INVOICE_STATUS=INVOICE_STATUS)

# Set at login only for a verified staff token: every page checks it before calling the gateway.
STAFF_FLAG = "staff"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    session = request.session
    return pages.render_page(templates, request, template, status_code,
                             user=session.get("user"),
                             logged_in=bool(session.get("refresh_token") and session.get(STAFF_FLAG)),
                             **context)


async def staff_api(request: Request, gw: Api = Depends(pages.api)) -> Api:
    """FastAPI dependency of every staff page: the gateway as this staff member, or to Accedi."""
    if not (gw.logged_in and request.session.get(STAFF_FLAG)):
        raise LoginRequired()
    return gw


def count_label(page: Any) -> str:
    """How many items a first page of a staff list holds: "100+" when there are more pages."""
    if not isinstance(page, dict):
        return "–"
    n = len(page.get("items") or [])
    return f"{n}+" if page.get("next_cursor") else str(n)


STAFF_ONLY = "Accesso riservato allo staff."


class StaffOnly(Exception):
    """The gateway refused a staff route to this session's token (the role was taken away)."""


def found(result: Any) -> Any:
    """The body of a staff read, or the Italian page for what went wrong (404, refused)."""
    from starlette.exceptions import HTTPException

    if result.status == 403:
        raise StaffOnly()
    if result.status in (404, 422) or not result.ok:
        raise HTTPException(404)
    return result.body
