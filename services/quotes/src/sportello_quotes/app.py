"""The quotes service: its routers, event handlers, jobs and migrations."""

from __future__ import annotations

from pathlib import Path

from sportello import replicas
from sportello.service import Service

from sportello_quotes import api, handlers, jobs
from sportello_quotes.models import CatalogService, Contact

service = Service(
    name="quotes",
    routers=[api.router],
    migrations=Path(__file__).parent / "migrations",
    handlers={
        "quote_cart.submitted": handlers.on_quote_cart_submitted,
        "order.paid": handlers.on_order_paid,
        "account.deleted": handlers.on_account_deleted,
        # The contacts and services a staff-started quote needs.
        **replicas.handlers(Contact, CatalogService),
    },
    jobs=[jobs.EXPIRE_QUOTES, jobs.REMIND_EXPIRING, jobs.REMIND_UNPRICED],
)


def create_app():
    return service.create_app()
