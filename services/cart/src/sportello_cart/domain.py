"""The cart's rules, without I/O: which service goes in which cart, pricing a line, re-pricing
at checkout, who the customer is for the events, and the fingerprints of idempotent requests."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sportello.contracts.billing import Billing
from sportello.contracts.breakdown import PriceBreakdown
from sportello.contracts.documents import DocumentRef
from sportello.contracts.events import Contact, ServiceSnapshot
from sportello.contracts.fields import FieldError
from sportello.contracts.files import ReceiptCheck, receipt_check, stored_files
from sportello.contracts.forms import AnswerLabel, price_answers
from sportello.contracts.legal import TERMS_VERSION
from sportello.contracts.money import LineAmounts, line_amounts
from sportello.errors import Conflict, ValidationFailed

MAX_QUANTITY = 100
MAX_LINES = 50  # per cart: a shop basket, not a bulk order tool
MAX_MESSAGE = 2000


class Kind(StrEnum):
    PURCHASE = "purchase"
    QUOTE = "quote"


# Which services each cart takes: (pricing_mode, quote_allowed) → allowed?
def accepts(kind: Kind, service: ServiceSnapshot) -> bool:
    if kind is Kind.PURCHASE:
        return service.pricing_mode == "fixed"
    return service.pricing_mode == "quote" or service.quote_allowed


REFUSALS = {
    Kind.PURCHASE: "«{name}» si acquista solo su preventivo: aggiungilo alla richiesta di preventivo.",
    Kind.QUOTE: "«{name}» ha un prezzo fisso e non prevede preventivo: aggiungilo al carrello.",
}


def check_service(kind: Kind, service: ServiceSnapshot | None, slug: str) -> ServiceSnapshot:
    """The service a new or corrected line refers to, if this cart may take it."""
    if service is None:
        raise ValidationFailed([FieldError(field="service_slug", message="Servizio inesistente.")])
    if not service.active:
        raise Conflict(f"Il servizio «{service.name}» non è più disponibile.",
                       extra={"service_slug": slug, "reason": "retired"})
    if not accepts(kind, service):
        raise Conflict(REFUSALS[kind].format(name=service.name),
                       extra={"service_slug": slug, "reason": "wrong_cart"})
    return service


@dataclass(frozen=True)
class PricedLine:
    answers: dict[str, Any]
    answer_labels: list[AnswerLabel]
    unit_net_cents: int
    price_breakdown: PriceBreakdown


def receipts(secret: str | None, uploaders: tuple[str, ...],
             kept: list[DocumentRef] | None = None) -> ReceiptCheck | None:
    """How a line's file answers are checked: the documents' receipts, offline (None: this
    installation has no documents secret, so a form with a file field cannot be bought)."""
    if not secret:
        return None
    return receipt_check(secret, uploaders, tuple(kept or ()))


def price_line(service: ServiceSnapshot, answers: Any,
               receipts: ReceiptCheck | None = None) -> PricedLine:
    """Validate the answers against the service's form and price one unit (422 on bad answers)."""
    priced, errors = price_answers(service.form, service.base_net_cents, answers, receipts)
    if errors:
        raise ValidationFailed(errors)
    assert priced is not None
    return PricedLine(priced.answers, priced.answer_labels, priced.unit_net_cents,
                      priced.price_breakdown)


def amounts(unit_net_cents: int | None, quantity: int, vat_rate_bp: int) -> LineAmounts | None:
    if unit_net_cents is None:
        return None
    return line_amounts(unit_net_cents, quantity, vat_rate_bp)


class Problem(StrEnum):
    RETIRED = "retired"
    PRICE_CHANGED = "price_changed"
    ANSWERS_INVALID = "answers_invalid"


PROBLEM_MESSAGES = {
    Problem.RETIRED: "Il servizio «{name}» non è più disponibile: rimuovilo dal carrello.",
    Problem.PRICE_CHANGED: "Il prezzo di «{name}» è cambiato da {old} a {new} centesimi (netto): "
                           "conferma la riga per accettarlo.",
    Problem.ANSWERS_INVALID: "Il modulo di «{name}» è cambiato: correggi le risposte della riga.",
}


@dataclass(frozen=True)
class LineToCheck:
    """What checkout needs of a stored line to re-price it."""

    id: Any
    service_slug: str
    service_name: str
    answers: dict[str, Any]
    unit_net_cents: int
    vat_rate_bp: int
    locked: bool
    # The version of the service the line was priced against, when known.
    service_version: int | None = None


def reprice_problems(lines: list[LineToCheck],
                     services: dict[str, ServiceSnapshot]) -> list[dict[str, Any]]:
    """Each line whose service was retired or whose price changed since it was added.

    A line locked by an accepted quote keeps the quoted price: the quote is the agreement.
    """
    problems = []
    for line in lines:
        if line.locked:
            continue
        service = services.get(line.service_slug)
        entry = {"line_id": str(line.id), "service_slug": line.service_slug}
        if service is None or not service.active or service.pricing_mode != "fixed":
            problems.append({**entry, "reason": Problem.RETIRED.value,
                             "message": PROBLEM_MESSAGES[Problem.RETIRED].format(
                                 name=line.service_name)})
            continue
        if line.service_version == service.version:
            # Pricing is a pure function of the version's form and prices: the same answer again.
            continue
        priced, errors = price_answers(service.form, service.base_net_cents, line.answers,
                                       stored_files)
        if errors or priced is None:
            problems.append({**entry, "reason": Problem.ANSWERS_INVALID.value,
                             "message": PROBLEM_MESSAGES[Problem.ANSWERS_INVALID].format(
                                 name=service.name),
                             "errors": [e.model_dump() for e in errors]})
            continue
        if priced.unit_net_cents != line.unit_net_cents or service.vat_rate_bp != line.vat_rate_bp:
            problems.append({**entry, "reason": Problem.PRICE_CHANGED.value,
                             "message": PROBLEM_MESSAGES[Problem.PRICE_CHANGED].format(
                                 name=service.name, old=line.unit_net_cents,
                                 new=priced.unit_net_cents),
                             "old_unit_net_cents": line.unit_net_cents,
                             "new_unit_net_cents": priced.unit_net_cents,
                             "old_vat_rate_bp": line.vat_rate_bp,
                             "new_vat_rate_bp": service.vat_rate_bp})
    return problems


def check_room(count: int) -> None:
    """A cart holding `count` lines can take one more, or Conflict."""
    if count >= MAX_LINES:
        raise Conflict(f"Il carrello può contenere al massimo {MAX_LINES} righe.")


def check_changeable(quote_id) -> None:
    """A line from an accepted quote keeps what was agreed: it can be removed, not changed."""
    if quote_id is not None:
        raise Conflict("Questa riga viene da un preventivo accettato: non si può modificare, "
                       "solo rimuovere.")


def the_customer(account_id, known: Contact | None, *, billing: Billing | None = None,
                 email: str | None = None) -> Contact:
    """Who the customer is, as the events name them: the replica of their account once
    account.registered has reached the cart; until then the billing data's names (checkout) or
    the token's email (a quote request); with neither, Conflict: retry in a moment."""
    if known is not None:
        return known
    if billing is not None:
        return contact_from_billing(account_id, billing)
    if email:
        return Contact(account_id=account_id, email=email, first_name="", last_name="")
    raise Conflict("Il tuo profilo non è ancora disponibile: riprova tra qualche istante.",
                   headers={"Retry-After": "1"})


def contact_from_billing(account_id, billing: Billing) -> Contact:
    """Fallback when account.registered has not reached the cart yet: the billing data's names.

    A company without a person's name is addressed by its company name.
    """
    first = billing.first_name or ("" if billing.last_name else billing.company_name or "")
    return Contact(account_id=account_id, email=billing.email, first_name=first,
                   last_name=billing.last_name or "")


def new_cart_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits: unguessable


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def fingerprint(body: Any) -> str:
    """Same body → same fingerprint, whatever the key order or whitespace the client used."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()




def terms_errors(version: str) -> list[FieldError]:
    """A checkout accepts the conditions of sale in force, not an older or invented version."""
    if version == TERMS_VERSION:
        return []
    return [FieldError(field="terms_version", message=(
        f"Accetta le condizioni di vendita in vigore (versione {TERMS_VERSION}) per completare "
        "l'acquisto."))]


def asks_early_start(billing: Billing, consent: bool) -> bool:
    """Only a consumer has a withdrawal period to waive the wait of; an azienda's tick is moot."""
    return consent and billing.customer_type == "privato"
