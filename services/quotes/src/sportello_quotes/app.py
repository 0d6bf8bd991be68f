"""The quotes service: its routers, event handlers, jobs and migrations."""

from __future__ import annotations

from pathlib import Path

from sportello.service import Service

from sportello_quotes import api, handlers, jobs

service = Service(
    name="quotes",
    routers=[api.router],
    migrations=Path(__file__).parent / "migrations",
    handlers={
        "quote_cart.submitted": handlers.on_quote_cart_submitted,
        "order.paid": handlers.on_order_paid,
        "account.deleted": handlers.on_account_deleted,
        "account.registered": handlers.on_account_changed,
        "account.updated": handlers.on_account_changed,
        "catalog.service.published": handlers.on_service_published,
        "catalog.service.retired": handlers.on_service_retired,
    },
    jobs=[jobs.EXPIRE_QUOTES, jobs.REMIND_EXPIRING, jobs.REMIND_UNPRICED],
)


def create_app():
    return service.create_app()
