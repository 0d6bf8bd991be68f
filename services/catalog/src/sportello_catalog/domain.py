"""The catalog's rules, no I/O: what a valid service is, its lifecycle, what a publish carries."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal

from sportello.contracts import text
from sportello.contracts.events import CategoryRef, ServiceSnapshot
from sportello.contracts.fields import FieldError, prefixed
from sportello.contracts.forms import FormDefinition, definition_errors, price_from, price_max
from sportello.errors import Conflict

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SEARCH_WORD = re.compile(r"[^\W_]+")
MAX_SEARCH_WORDS = 10


def search_terms(q: str | None) -> str | None:
    """The customer's text → a prefix tsquery of its words ("tradu giur" → "tradu:* & giur:*"),
    or None when it has no word. Only letters and digits pass: no tsquery operator can."""
    words = SEARCH_WORD.findall(q or "")[:MAX_SEARCH_WORDS]
    return " & ".join(f"{w}:*" for w in words) if words else None
# The Italian VAT rates in basis points: ordinaria 22 %, ridotte 10/5/4 %, and 0 for services
# that are esenti or non imponibili (e.g. formazione, art. 10 DPR 633/72). Anything else is a typo
# (22 instead of 2200) that would misprice every line.
VAT_RATES_BP = (0, 400, 500, 1000, 2200)
MAX_FORM_FIELDS = 40
# The dearest line a form can produce (1.000.000 € net): keeps every amount far inside the
# integer columns of the services that copy these prices.
MAX_UNIT_NET_CENTS = 100_000_000

PricingMode = Literal["fixed", "quote"]


class Status(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


# Which lifecycle moves are legal; everything else is a 409.
TRANSITIONS: dict[Status, set[Status]] = {
    Status.ACTIVE: {Status.RETIRED},
    Status.RETIRED: {Status.ACTIVE},
}
CONFLICT_MESSAGES = {
    Status.RETIRED: "Il servizio è già ritirato.",
    Status.ACTIVE: "Il servizio è già attivo.",
}


def transition(current: Status, to: Status) -> Status:
    if to not in TRANSITIONS[current]:
        raise Conflict(CONFLICT_MESSAGES.get(to, "Operazione non consentita nello stato attuale."))
    return to


@dataclass(frozen=True)
class ServiceContent:
    """What staff edit on a service; a publish happens only when this changes."""

    slug: str
    category: str
    name: str
    short_description: str
    description: str
    pricing_mode: PricingMode
    base_net_cents: int | None
    vat_rate_bp: int
    form: FormDefinition
    quote_allowed: bool = False
    position: int = 0
    # A VAT exemption (sportello.contracts.tax.EXEMPTIONS key): the line is taxed 0 % with its Natura.
    vat_exemption: str | None = None

    def comparable(self) -> dict[str, Any]:
        # Forms compare by their JSON so a definition read back from the database equals the one sent.
        return {**self.__dict__, "form": form_json(self.form)}

    def same_as(self, other: ServiceContent) -> bool:
        return self.comparable() == other.comparable()


def form_json(form: FormDefinition) -> dict[str, Any]:
    """The form as stored and served: no keys for attributes the field does not use."""
    return form.model_dump(mode="json", exclude_none=True)


def slug_errors(slug: str, field: str = "slug") -> list[FieldError]:
    if not SLUG_RE.match(slug):
        return [FieldError(field=field, message="Usa solo lettere minuscole, cifre e trattini "
                                                "(es. «sito-vetrina»).")]
    return []


def service_errors(content: ServiceContent) -> list[FieldError]:
    """Everything wrong with a service's content, at the field paths the client sent."""
    errors = slug_errors(content.slug)
    if content.pricing_mode == "fixed" and content.base_net_cents is None:
        errors.append(FieldError(field="base_net_cents",
                                 message="Un servizio a prezzo fisso deve avere un prezzo base."))
    if content.pricing_mode == "quote" and content.base_net_cents is not None:
        errors.append(FieldError(field="base_net_cents",
                                 message="Un servizio su preventivo non ha un prezzo base."))
    if content.base_net_cents is not None and content.base_net_cents < 0:
        errors.append(FieldError(field="base_net_cents", message="Il prezzo non può essere negativo."))
    if content.vat_rate_bp not in VAT_RATES_BP:
        errors.append(FieldError(
            field="vat_rate_bp",
            message="Aliquota IVA non valida: usa 0, 400, 500, 1000 o 2200 (punti base, 2200 = 22 %).",
        ))
    if content.vat_exemption is not None and content.vat_rate_bp != 0:
        errors.append(FieldError(field="vat_exemption",
                                 message="Un servizio esente IVA ha aliquota 0 (vat_rate_bp = 0)."))
    if len(content.form.fields) > MAX_FORM_FIELDS:
        errors.append(FieldError(field="form.fields",
                                 message=f"Al massimo {MAX_FORM_FIELDS} campi per modulo."))
    form_errors = prefixed(definition_errors(content.form), "form")
    if not form_errors and price_max(content.form, content.base_net_cents) > MAX_UNIT_NET_CENTS:
        form_errors.append(FieldError(
            field="form",
            message="Con queste risposte il prezzo supererebbe 1.000.000 € per unità: "
                    "riduci prezzi o massimi."))
    errors += form_errors
    if not SLUG_RE.match(content.category):
        errors.append(FieldError(field="category", message="Categoria inesistente."))
    errors += nul_errors(name=content.name, short_description=content.short_description,
                         description=content.description, form=content.form.model_dump_json())
    return errors


def nul_errors(**texts: str) -> list[FieldError]:
    """PostgreSQL cannot store NUL characters: refuse them here rather than fail on the insert."""
    return [FieldError(field=name, message=text.MESSAGE)
            for name, value in texts.items() if not text.text_ok(value) or "\\u0000" in value]


def apply_patch(content: ServiceContent, changes: dict[str, Any]) -> ServiceContent:
    """The content after a PATCH. Switching to `quote` drops the base price unless one was sent."""
    if changes.get("pricing_mode") == "quote" and "base_net_cents" not in changes:
        changes = {**changes, "base_net_cents": None}
    return replace(content, **changes)


def effective_quote_allowed(content: ServiceContent) -> bool:
    # A quote-only service can of course be asked for a quote; say so explicitly to consumers.
    return content.pricing_mode == "quote" or content.quote_allowed


def price_from_cents(content: ServiceContent) -> int | None:
    """The "da … + IVA" of a fixed service; quote services have no price."""
    if content.pricing_mode != "fixed":
        return None
    return price_from(content.form, content.base_net_cents)


def snapshot(content: ServiceContent, category_name: str, version: int, active: bool) -> ServiceSnapshot:
    """The whole service as `catalog.service.published` carries it."""
    return ServiceSnapshot(
        slug=content.slug,
        name=content.name,
        short_description=content.short_description,
        description=content.description,
        category=CategoryRef(slug=content.category, name=category_name),
        pricing_mode=content.pricing_mode,
        base_net_cents=content.base_net_cents,
        vat_rate_bp=content.vat_rate_bp,
        vat_exemption=content.vat_exemption,
        form=content.form,
        quote_allowed=effective_quote_allowed(content),
        active=active,
        version=version,
    )
