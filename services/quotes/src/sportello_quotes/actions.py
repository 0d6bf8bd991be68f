"""What happens to a quote: each action checks the domain, records history and emits its event.

Routes, handlers and the job call these with their session and then commit (routes, job) or let
the consumer commit (handlers), so a state change and its event are always one transaction.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import structlog
from sportello.contracts.billing import Billing
from sportello.contracts.events import (
    Contact,
    QuoteAccepted,
    QuoteCartSubmitted,
    QuoteChangesRequested,
    QuoteDeclined,
    QuotedLine,
    QuoteExpired,
    QuoteExpiring,
    QuoteIssued,
    QuoteMessagePosted,
    QuotePricingOverdue,
    QuoteRejected,
    QuoteRequested,
    QuoteRequestLine,
    ServiceRef,
    snapshot_columns,
)
from sportello.errors import ValidationFailed
from sportello.messaging import emit
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_quotes import domain, repository, schemas
from sportello_quotes.domain import Actor, Status
from sportello_quotes.models import Quote, QuoteLine, QuoteMessage, QuoteRevision, QuoteStatusChange

log = structlog.get_logger()


def contact(quote: Quote) -> Contact:
    return Contact(account_id=quote.customer_id, email=quote.customer_email or "",
                   first_name=quote.customer_first_name or "",
                   last_name=quote.customer_last_name or "")


def request_lines(quote: Quote) -> list[domain.RequestLine]:
    return [
        domain.RequestLine(
            line_id=line.line_id,
            service=ServiceRef(slug=line.service_slug, name=line.service_name,
                               version=line.service_version),
            vat_rate_bp=line.vat_rate_bp, vat_exemption=line.vat_exemption,
            quantity=line.quantity, answers=line.answers, answer_labels=line.answer_labels,
        )
        for line in quote.lines
    ]


def _move(quote: Quote, to: Status, *, actor: Actor, actor_id: uuid.UUID | None,
          note: str | None, now: datetime, revision: int | None = None) -> None:
    """The one way a quote changes status: checked against the table, kept in the history."""
    domain.check_transition(quote.number, quote.status, to)
    quote.history.append(QuoteStatusChange(
        from_status=quote.status, status=to.value, at=now, actor=actor.value,
        actor_id=actor_id, note=note, revision=revision,
    ))
    quote.status = to.value
    quote.updated_at = now


# --- the request (from the quote cart) ---------------------------------------------------------


async def record_request(session: AsyncSession, data: QuoteCartSubmitted, now: datetime) -> bool:
    """Create the `requested` quote once; a repeated submission of the same quote id is a no-op."""
    if await repository.exists(session, data.quote_id):
        log.info("quote_request_duplicate", quote_id=str(data.quote_id))
        return False
    if not data.lines:
        # The cart never submits an empty quote cart; retrying such a message cannot help.
        log.error("quote_request_without_lines", quote_id=str(data.quote_id))
        return False
    number = await repository.next_number(session, now)
    quote = Quote(
        id=data.quote_id, number=number, status=Status.REQUESTED.value,
        customer_id=data.customer.account_id, customer_email=data.customer.email,
        customer_first_name=data.customer.first_name, customer_last_name=data.customer.last_name,
        message=data.message, budget_cents=data.budget_cents, wanted_by=data.wanted_by,
        revision=0, created_at=now, updated_at=now,
        lines=[
            QuoteLine(line_id=line.line_id, position=i, **snapshot_columns(line))
            for i, line in enumerate(data.lines)
        ],
        revisions=[], messages=[],
        history=[QuoteStatusChange(from_status=None, status=Status.REQUESTED.value, at=now,
                                   actor=Actor.CUSTOMER.value, actor_id=data.customer.account_id,
                                   note=None)],
    )
    session.add(quote)
    await session.flush()
    await emit(session, "quote.requested", QuoteRequested(
        quote_id=quote.id, number=number, customer=data.customer,
        lines=[QuoteRequestLine.model_validate(line.model_dump()) for line in data.lines],
        message=data.message, budget_cents=data.budget_cents, wanted_by=data.wanted_by,
    ))
    log.info("quote_requested", quote_id=str(quote.id), number=number)
    return True


# --- staff -------------------------------------------------------------------------------------


async def issue(session: AsyncSession, quote: Quote, prices: list[domain.LinePrice],
                valid_until: date, note: str | None, staff_id: uuid.UUID, now: datetime,
                charge_stamp_duty: bool, billing: Billing | None = None) -> None:
    """Price every line (first issue, a new revision of a `quoted` quote, or the answer to a
    customer's request for changes), taxed for `billing` when staff give it."""
    domain.check_transition(quote.number, quote.status, Status.QUOTED)
    billing, errors = domain.checked_billing(billing)
    errors += domain.validity_errors(valid_until, now)
    try:
        lines = domain.price_lines(request_lines(quote), prices, billing)
    except ValidationFailed as e:
        errors = (e.errors or []) + errors
    if errors:
        raise ValidationFailed(errors)
    _move(quote, Status.QUOTED, actor=Actor.STAFF, actor_id=staff_id, note=note, now=now,
          revision=quote.revision + 1)
    await _publish_revision(session, quote, lines, valid_until, note, staff_id, now,
                            charge_stamp_duty, billing)


async def _publish_revision(session: AsyncSession, quote: Quote, lines: list[QuotedLine],
                            valid_until: date, note: str | None, staff_id: uuid.UUID,
                            now: datetime, charge_stamp_duty: bool,
                            billing: Billing | None) -> None:
    """Keep the priced lines (and the billing data they were taxed for) as the quote's next
    revision and tell the customer (quote.issued)."""
    totals = domain.quote_totals(lines, charge_stamp_duty)
    revision = quote.revision + 1
    quote.revisions.append(QuoteRevision(
        revision=revision, lines=[line.model_dump(mode="json") for line in lines],
        net_cents=totals.net_cents, vat_cents=totals.vat_cents, gross_cents=totals.gross_cents,
        stamp_duty_cents=totals.stamp_duty_cents,
        vat_groups=[g.model_dump() for g in totals.vat_groups], tax_notes=totals.notes,
        billing=None if billing is None else billing.model_dump(mode="json"),
        valid_until=valid_until, note=note, issued_at=now, issued_by=staff_id,
    ))
    quote.revision = revision
    quote.valid_until = valid_until
    quote.staff_note = note
    # A new validity earns its own reminder.
    quote.expiry_reminded_at = None
    quote.net_cents, quote.vat_cents, quote.gross_cents = (
        totals.net_cents, totals.vat_cents, totals.gross_cents)
    await emit(session, "quote.issued", QuoteIssued(
        quote_id=quote.id, number=quote.number, revision=revision, customer=contact(quote),
        lines=lines, totals=totals, valid_until=valid_until, note=note, billing=billing,
    ))
    log.info("quote_issued", quote_id=str(quote.id), revision=revision,
             gross_cents=totals.gross_cents)


async def start_for_customer(session: AsyncSession, customer: Contact,
                             lines: list[domain.StaffLine], valid_until: date, note: str | None,
                             staff_id: uuid.UUID, now: datetime, charge_stamp_duty: bool,
                             billing: Billing | None = None) -> Quote:
    """A quote staff write for a customer (a phone call, a visit): priced and `quoted` at once,
    taxed for `billing` when staff give it."""
    billing, errors = domain.checked_billing(billing)
    errors += domain.validity_errors(valid_until, now)
    requested: list[domain.RequestLine] = []
    prices: list[domain.LinePrice] = []
    for i, line in enumerate(lines):
        service = None
        if line.service_slug is not None:
            service = await repository.service(session, line.service_slug)
        try:
            request = domain.staff_request_line(i, line, service)
        except ValidationFailed as e:
            errors.extend(e.errors or [])
            continue
        requested.append(request)
        prices.append(domain.LinePrice(request.line_id, line.unit_net_cents))
    if errors:
        raise ValidationFailed(errors)
    number = await repository.next_number(session, now)
    quote = Quote(
        id=uuid.uuid4(), number=number, status=Status.QUOTED.value, origin="staff",
        customer_id=customer.account_id, customer_email=customer.email,
        customer_first_name=customer.first_name, customer_last_name=customer.last_name,
        revision=0, created_at=now, updated_at=now,
        lines=[
            QuoteLine(line_id=r.line_id, position=i, service_slug=r.service.slug,
                      service_name=r.service.name, service_version=r.service.version,
                      vat_rate_bp=r.vat_rate_bp, vat_exemption=r.vat_exemption,
                      quantity=r.quantity, answers=r.answers, answer_labels=r.answer_labels)
            for i, r in enumerate(requested)
        ],
        revisions=[], messages=[],
        history=[QuoteStatusChange(from_status=None, status=Status.QUOTED.value, at=now,
                                   actor=Actor.STAFF.value, actor_id=staff_id, note=note,
                                   revision=1)],
    )
    session.add(quote)
    await session.flush()
    await _publish_revision(session, quote, domain.price_lines(requested, prices, billing),
                            valid_until, note, staff_id, now, charge_stamp_duty, billing)
    return quote


async def reject(session: AsyncSession, quote: Quote, reason: str, staff_id: uuid.UUID,
                 now: datetime) -> None:
    _move(quote, Status.REJECTED, actor=Actor.STAFF, actor_id=staff_id, note=reason, now=now)
    await emit(session, "quote.rejected", QuoteRejected(
        quote_id=quote.id, number=quote.number, customer=contact(quote), reason=reason))
    log.info("quote_rejected", quote_id=str(quote.id))


# --- customer ----------------------------------------------------------------------------------


def priced_lines(quote: Quote) -> list[QuotedLine]:
    """The lines of the current revision as issued (empty before the first issue)."""
    for rev in quote.revisions:
        if rev.revision == quote.revision:
            return [QuotedLine.model_validate(line) for line in rev.lines]
    return []


async def accept(session: AsyncSession, quote: Quote, customer_id: uuid.UUID,
                 now: datetime, seen_revision: int | None = None) -> None:
    domain.check_acceptable(quote.number, quote.status, quote.valid_until, now)
    domain.check_revision_seen(quote.number, quote.revision, seen_revision)
    _move(quote, Status.ACCEPTED, actor=Actor.CUSTOMER, actor_id=customer_id, note=None, now=now,
          revision=quote.revision)
    # The accepted revision's lines, exactly as issued: the cart adds them locked at these prices.
    await emit(session, "quote.accepted", QuoteAccepted(
        quote_id=quote.id, number=quote.number, customer=contact(quote),
        lines=priced_lines(quote)))
    log.info("quote_accepted", quote_id=str(quote.id), revision=quote.revision)


async def decline(session: AsyncSession, quote: Quote, reason: str | None,
                  customer_id: uuid.UUID, now: datetime) -> None:
    _move(quote, Status.DECLINED, actor=Actor.CUSTOMER, actor_id=customer_id, note=reason,
          now=now, revision=quote.revision)
    await emit(session, "quote.declined", QuoteDeclined(
        quote_id=quote.id, number=quote.number, customer=contact(quote), reason=reason))
    log.info("quote_declined", quote_id=str(quote.id))


async def request_changes(session: AsyncSession, quote: Quote, message: str,
                          customer_id: uuid.UUID, now: datetime) -> None:
    """The customer asks staff to change a quoted quote; the request is also kept in the thread."""
    _move(quote, Status.CHANGES_REQUESTED, actor=Actor.CUSTOMER, actor_id=customer_id,
          note=message, now=now, revision=quote.revision)
    quote.messages.append(QuoteMessage(id=uuid.uuid4(), author=Actor.CUSTOMER.value,
                                       author_id=customer_id, body=message, document_ids=[],
                                       created_at=now))
    await emit(session, "quote.changes_requested", QuoteChangesRequested(
        quote_id=quote.id, number=quote.number, customer=contact(quote), revision=quote.revision,
        message=message))
    log.info("quote_changes_requested", quote_id=str(quote.id), revision=quote.revision)


# --- the conversation --------------------------------------------------------------------------


async def post_message(session: AsyncSession, quote: Quote, author: Actor,
                       author_id: uuid.UUID, body: str, now: datetime,
                       document_ids: list[uuid.UUID] | None = None) -> QuoteMessage:
    """A message from one side; the other side hears of it by email (quote.message_posted),
    and documents attaches its files to the quote (those its author uploaded)."""
    domain.check_open_for_messages(quote.number, quote.status)
    ids = list(dict.fromkeys(document_ids or []))
    message = QuoteMessage(id=uuid.uuid4(), author=author.value, author_id=author_id, body=body,
                           document_ids=[str(i) for i in ids], created_at=now)
    quote.messages.append(message)
    quote.updated_at = now
    await emit(session, "quote.message_posted", QuoteMessagePosted(
        quote_id=quote.id, number=quote.number, customer=contact(quote), message_id=message.id,
        author=author.value, body=body, document_ids=ids, author_id=author_id))
    log.info("quote_message_posted", quote_id=str(quote.id), author=author.value)
    return message


# --- reminders ---------------------------------------------------------------------------------


async def remind_expiring(session: AsyncSession, quote: Quote, now: datetime) -> None:
    quote.expiry_reminded_at = now
    await emit(session, "quote.expiring", QuoteExpiring(
        quote_id=quote.id, number=quote.number, customer=contact(quote),
        valid_until=quote.valid_until, total_gross_cents=quote.gross_cents or 0))
    log.info("quote_expiry_reminded", quote_id=str(quote.id))


async def remind_pricing(session: AsyncSession, quote: Quote, now: datetime) -> None:
    quote.pricing_reminded_at = now
    await emit(session, "quote.pricing_overdue", QuotePricingOverdue(
        quote_id=quote.id, number=quote.number, customer=contact(quote),
        requested_at=quote.created_at))
    log.info("quote_pricing_reminded", quote_id=str(quote.id))


# --- system ------------------------------------------------------------------------------------


async def expire(session: AsyncSession, quote: Quote, now: datetime) -> None:
    valid_until = quote.valid_until
    _move(quote, Status.EXPIRED, actor=Actor.SYSTEM, actor_id=None, now=now,
          note=f"Validità terminata il {valid_until:%d/%m/%Y}.", revision=quote.revision)
    await emit(session, "quote.expired", QuoteExpired(
        quote_id=quote.id, number=quote.number, customer=contact(quote), valid_until=valid_until))
    log.info("quote_expired", quote_id=str(quote.id), valid_until=valid_until.isoformat())


def mark_ordered(quote: Quote, order_id: uuid.UUID, order_number: str, now: datetime) -> None:
    _move(quote, Status.ORDERED, actor=Actor.SYSTEM, actor_id=None, now=now,
          note=f"Ordine {order_number} pagato.", revision=quote.revision)
    quote.order_id = order_id
    quote.order_number = order_number
    log.info("quote_ordered", quote_id=str(quote.id), order_id=str(order_id))


# What an open quote becomes when its customer deletes the account: nobody is left to price it
# for or to accept it, and nobody to notify (so no event).
CLOSED_ON_ACCOUNT_DELETION = {Status.REQUESTED: Status.REJECTED, Status.QUOTED: Status.DECLINED,
                              Status.CHANGES_REQUESTED: Status.DECLINED}
REDACTED = "[dato rimosso]"


def _redacted_labels(labels: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"label": a.get("label", ""), "value": REDACTED} for a in labels]


def redact(quote: Quote, now: datetime) -> None:
    """Erase the customer's personal data from a quote (contact, message, answers, their notes,
    the billing data its revisions were taxed for)."""
    to = CLOSED_ON_ACCOUNT_DELETION.get(Status(quote.status))
    if to is not None:
        _move(quote, to, actor=Actor.SYSTEM, actor_id=None, now=now,
              note="Account del cliente eliminato.", revision=quote.revision or None)
    quote.customer_email = quote.customer_first_name = quote.customer_last_name = None
    quote.message = None
    for line in quote.lines:
        line.answers = {}
        line.answer_labels = _redacted_labels(line.answer_labels)
    for rev in quote.revisions:
        # A new list object: SQLAlchemy sees the JSONB change only on assignment.
        rev.lines = [{**line, "answers": {}, "answer_labels": _redacted_labels(line["answer_labels"])}
                     for line in rev.lines]
        # Names, codes and address: the totals as issued stay, whose data they were taxed for goes.
        rev.billing = None
    for change in quote.history:
        if change.actor == Actor.CUSTOMER.value:
            change.note = None
    for message in quote.messages:
        if message.author == Actor.CUSTOMER.value:
            message.body = REDACTED
    quote.budget_cents = None
    quote.wanted_by = None
    quote.redacted_at = now
    quote.updated_at = now


async def quotes_report(session: AsyncSession, days: int, now: datetime) -> schemas.QuotesReport:
    funnel, queues = await repository.funnel_rows(session, now - timedelta(days=days))
    seconds = funnel.pop("median_seconds")
    requested = funnel["requested"]
    return schemas.QuotesReport(
        days=days, **funnel, queues=queues,
        conversion=round(funnel["ordered"] / requested, 4) if requested else None,
        median_hours_to_price=round(seconds / 3600, 2) if seconds is not None else None)
