"""From a stored quote to the shapes of schemas.py (customer and staff see different things)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sportello.contracts.billing import Billing
from sportello.contracts.events import snapshot_of
from sportello.contracts.money import TaxedTotals
from sportello.pdf import document_env
from sportello.settings import Settings

from sportello_quotes import actions, domain, schemas
from sportello_quotes.models import Quote, QuoteMessage, QuoteRevision


def _current(quote: Quote) -> QuoteRevision | None:
    return next((r for r in quote.revisions if r.revision == quote.revision), None)


def _totals(quote: Quote) -> TaxedTotals | None:
    """The current revision's totals (None before the first issue)."""
    current = _current(quote)
    return None if current is None else _revision_totals(current)


def _billing(rev: QuoteRevision | None) -> Billing | None:
    """The billing data the revision was taxed for (None: an Italian consumer, or not issued)."""
    return None if rev is None or rev.billing is None else Billing.model_validate(rev.billing)


def _revision_totals(rev: QuoteRevision) -> TaxedTotals:
    return TaxedTotals(net_cents=rev.net_cents, vat_cents=rev.vat_cents,
                       gross_cents=rev.gross_cents, stamp_duty_cents=rev.stamp_duty_cents or 0,
                       vat_groups=rev.vat_groups or [], notes=rev.tax_notes or [])


def _lines(quote: Quote) -> list[schemas.LineOut]:
    prices = {line.line_id: line for line in actions.priced_lines(quote)}
    out = []
    for line in quote.lines:
        priced = prices.get(line.line_id)
        out.append(schemas.LineOut(
            line_id=line.line_id, **snapshot_of(line),
            **({} if priced is None else priced.model_dump(
                include={"unit_net_cents", "net_cents", "vat_cents", "gross_cents",
                         "treatment"})),
        ))
    return out


def _revision(rev: QuoteRevision) -> schemas.RevisionOut:
    return schemas.RevisionOut(
        revision=rev.revision, valid_until=rev.valid_until, note=rev.note,
        issued_at=rev.issued_at, issued_by=rev.issued_by,
        lines=[schemas.LineOut.model_validate(line) for line in rev.lines],
        totals=_revision_totals(rev), billing=_billing(rev),
    )


def _contact(quote: Quote) -> schemas.ContactOut:
    return schemas.ContactOut(account_id=quote.customer_id, email=quote.customer_email,
                              first_name=quote.customer_first_name,
                              last_name=quote.customer_last_name)


def summary(quote: Quote) -> schemas.QuoteSummary:
    return schemas.QuoteSummary(
        id=quote.id, number=quote.number, status=quote.status, created_at=quote.created_at,
        updated_at=quote.updated_at, valid_until=quote.valid_until,
        total_gross_cents=quote.gross_cents,
    )


def staff_summary(quote: Quote) -> schemas.StaffQuoteSummary:
    return schemas.StaffQuoteSummary(
        **summary(quote).model_dump(), customer=_contact(quote), line_count=len(quote.lines),
        revision=quote.revision,
    )


def message(m: QuoteMessage) -> schemas.MessageOut:
    return schemas.MessageOut(id=m.id, author=m.author, body=m.body,
                              document_ids=m.document_ids or [], created_at=m.created_at)


def messages(quote: Quote) -> schemas.MessagesOut:
    return schemas.MessagesOut(items=[message(m) for m in quote.messages])


def _common(quote: Quote, now: datetime) -> dict:
    open_quote = (quote.status == domain.Status.QUOTED
                  and not domain.is_past_validity(quote.valid_until, now))
    return dict(
        **summary(quote).model_dump(),
        revision=quote.revision, message=quote.message, budget_cents=quote.budget_cents,
        wanted_by=quote.wanted_by, origin=quote.origin, staff_note=quote.staff_note,
        lines=_lines(quote), totals=_totals(quote), billing=_billing(_current(quote)),
        can_accept=open_quote, can_request_changes=open_quote,
        messages=[message(m) for m in quote.messages],
        order_id=quote.order_id, order_number=quote.order_number,
    )


def customer_view(quote: Quote, now: datetime) -> schemas.QuoteOut:
    return schemas.QuoteOut(
        **_common(quote, now),
        status_history=[schemas.HistoryOut(status=h.status, at=h.at, note=h.note,
                                           revision=h.revision) for h in quote.history],
    )


def staff_view(quote: Quote, now: datetime) -> schemas.StaffQuoteOut:
    return schemas.StaffQuoteOut(
        **_common(quote, now),
        customer=_contact(quote), redacted=quote.redacted_at is not None,
        status_history=[schemas.StaffHistoryOut(
            status=h.status, at=h.at, note=h.note, revision=h.revision, from_status=h.from_status,
            actor=h.actor, actor_id=h.actor_id) for h in quote.history],
        revisions=[_revision(rev) for rev in quote.revisions],
    )


DOCUMENTS = document_env(Path(__file__).parent / "templates")


def quote_html(quote: Quote, settings: Settings) -> str:
    """The quote as its PDF shows it (current revision's prices, or the lines still unpriced)."""
    current = _current(quote)
    return DOCUMENTS.get_template("preventivo.html").render(
        quote=quote, lines=_lines(quote), totals=_totals(quote),
        issued_at=current.issued_at if current else None, billing=_billing(current),
        status_label=domain.LABELS[domain.Status(quote.status)],
        business={"name": settings.business_name, "address": settings.business_address,
                  "vat_number": settings.business_vat_number, "email": settings.business_email},
    )
