"""A service's form: its definition, the rules of a definition, answer validation and pricing.

Catalog validates definitions and computes "price from" with this module; cart validates the
customer's answers and prices the line with the same code, so the two cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field

from sportello.contracts.breakdown import Addition, PriceBreakdown, price_breakdown
from sportello.contracts.fields import FieldError
from sportello.contracts.files import ReceiptCheck, check_file, file_definition, verified_files
from sportello.contracts.money import percent_of
from sportello.formatting import eur

FieldType = Literal["text", "textarea", "email", "tel", "date", "number", "select", "radio", "checkbox",
                    "file"]
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
TEL_RE = re.compile(r"^\+?[0-9 ./-]{6,20}$")
MAX_TEXT = 10_000


class Option(BaseModel):
    model_config = ConfigDict(extra="ignore")

    value: str = Field(min_length=1, max_length=100)
    label: str = Field(min_length=1, max_length=200)
    price_cents: int = 0
    # A surcharge on the line's subtotal, in basis points (3000 = +30 %, e.g. "urgente").
    percent_bp: int = 0


class FormField(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    label: str = Field(min_length=1, max_length=200)
    type: FieldType
    required: bool = False
    help: str | None = Field(default=None, max_length=500)
    placeholder: str | None = Field(default=None, max_length=200)
    max_length: int | None = None  # text, textarea
    min: int | str | None = None  # number (int) or date (YYYY-MM-DD)
    max: int | str | None = None
    step: int | None = None  # number
    unit_price_cents: int | None = None  # number: adds value x unit price
    options: list[Option] | None = None  # select, radio
    price_cents: int | None = None  # checkbox, when checked
    percent_bp: int | None = None  # checkbox, when checked
    accept: list[str] | None = None  # file: content types, detected from the bytes
    max_files: int | None = None  # file
    max_size_mb: int | None = None  # file, per file
    default: Any = None


class FormDefinition(BaseModel):
    model_config = ConfigDict(extra="ignore")

    fields: list[FormField] = Field(default_factory=list)

    def field(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def definition_errors(form: FormDefinition) -> list[FieldError]:
    """What is wrong with a form definition, each error at `fields.<i>.<attribute>`."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, f in enumerate(form.fields):
        at = f"fields.{i}"

        def err(attr: str, message: str, at: str = at) -> None:
            errors.append(FieldError(field=f"{at}.{attr}", message=message))

        if not NAME_RE.match(f.name):
            err("name", "Il nome del campo deve iniziare con una lettera minuscola "
                "e contenere solo a-z, 0-9 e _.")
        elif f.name in seen:
            err("name", f"Il nome del campo «{f.name}» è ripetuto.")
        seen.add(f.name)
        for attr, message in FIELD_TYPES[f.type].definition_errors(f):
            err(attr, message)
    return errors


class AnswerLabel(BaseModel):
    label: str
    value: str


class PricedAnswers(BaseModel):
    """Answers as kept (normalised), their human labels, the line's unit net price and what
    makes it (`price_breakdown`, whose entries add up to `unit_net_cents`)."""

    answers: dict[str, Any]
    answer_labels: list[AnswerLabel]
    unit_net_cents: int
    price_breakdown: PriceBreakdown


def _blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and value.strip() == "")


def _parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "on", "1", "si", "sì", "yes"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "off", "0", "no", ""):
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def _parse_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,9}\s*", value):
        return int(value)
    return None


# --- the field types: each one's rules side by side ------------------------------------------
# definition_errors(field) → [(attribute, message)]; check(field, answer) → (kept value, error);
# label(field, value) → what the customer reads; price(field, value) → (cents, basis points) the
# answer adds; price_label(field, value) → how the price breakdown names that addition (and its
# kind); price_from / price_max(field) → the least / dearest (cents, basis points) it can add.

Problems = list[tuple[str, str]]
Surcharge = tuple[int, int]
NOTHING: Surcharge = (0, 0)


def _no_problems(f: FormField) -> Problems:
    return []


def _text_definition(f: FormField) -> Problems:
    if f.max_length is not None and not 1 <= f.max_length <= MAX_TEXT:
        return [("max_length", f"La lunghezza massima deve essere tra 1 e {MAX_TEXT}.")]
    return []


def _number_definition(f: FormField) -> Problems:
    problems: Problems = []
    for attr in ("min", "max"):
        v = getattr(f, attr)
        if v is not None and not isinstance(v, int):
            problems.append((attr, "Deve essere un numero intero."))
    if isinstance(f.min, int) and isinstance(f.max, int) and f.min > f.max:
        problems.append(("max", "Il massimo deve essere maggiore o uguale al minimo."))
    if f.step is not None and f.step < 1:
        problems.append(("step", "Il passo deve essere almeno 1."))
    if f.unit_price_cents is not None and f.unit_price_cents < 0:
        problems.append(("unit_price_cents", "Il prezzo non può essere negativo."))
    if f.unit_price_cents and f.max is None:
        problems.append(("max", "Un campo numerico con prezzo unitario deve avere un massimo."))
    # A negative quantity times a unit price would lower the line's price below zero.
    if f.unit_price_cents and (f.min is None or isinstance(f.min, int) and f.min < 0):
        problems.append(("min", "Un campo numerico con prezzo unitario deve avere un minimo di almeno 0."))
    return problems


def _date_definition(f: FormField) -> Problems:
    problems: Problems = []
    for attr in ("min", "max"):
        v = getattr(f, attr)
        if v is not None and _as_date(v) is None:
            problems.append((attr, "Usa una data nel formato AAAA-MM-GG."))
    lo, hi = _as_date(f.min), _as_date(f.max)
    if lo and hi and lo > hi:
        problems.append(("max", "La data massima deve seguire la minima."))
    return problems


def _choice_definition(f: FormField) -> Problems:
    if not f.options:
        return [("options", "Un campo a scelta deve avere almeno un'opzione.")]
    problems: Problems = []
    values = [o.value for o in f.options]
    if len(set(values)) != len(values):
        problems.append(("options", "I valori delle opzioni devono essere diversi tra loro."))
    for j, o in enumerate(f.options):
        if o.price_cents < 0:
            problems.append((f"options.{j}.price_cents", "Il prezzo non può essere negativo."))
        if not 0 <= o.percent_bp <= 100_000:
            problems.append((f"options.{j}.percent_bp", "La maggiorazione deve essere tra 0 e 100000."))
    return problems


def _checkbox_definition(f: FormField) -> Problems:
    problems: Problems = []
    if f.price_cents is not None and f.price_cents < 0:
        problems.append(("price_cents", "Il prezzo non può essere negativo."))
    if f.percent_bp is not None and not 0 <= f.percent_bp <= 100_000:
        problems.append(("percent_bp", "La maggiorazione deve essere tra 0 e 100000."))
    return problems


def _check_text(f: FormField, value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, "Deve essere un testo."
    value = value.strip()
    limit = f.max_length or (MAX_TEXT if f.type == "textarea" else 500)
    if len(value) > limit:
        return None, f"Il testo è troppo lungo (massimo {limit} caratteri)."
    if f.type == "email":
        try:
            value = validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            return None, "Indirizzo email non valido."
    if f.type == "tel" and not TEL_RE.match(value):
        return None, "Numero di telefono non valido."
    return value, None


def _check_number(f: FormField, value: Any) -> tuple[Any, str | None]:
    n = _parse_int(value)
    if n is None:
        return None, "Deve essere un numero intero."
    if isinstance(f.min, int) and n < f.min:
        return None, f"Il valore minimo è {f.min}."
    if isinstance(f.max, int) and n > f.max:
        return None, f"Il valore massimo è {f.max}."
    # A priced quantity below zero would lower the price: without a minimum, 0 is the floor.
    if f.unit_price_cents and not isinstance(f.min, int) and n < 0:
        return None, "Il valore minimo è 0."
    base = f.min if isinstance(f.min, int) else 0
    if f.step and (n - base) % f.step:
        return None, f"Il valore deve andare a passi di {f.step}."
    return n, None


def _check_date(f: FormField, value: Any) -> tuple[Any, str | None]:
    d = _as_date(value) if isinstance(value, str) else None
    if d is None:
        return None, "Data non valida (formato AAAA-MM-GG)."
    lo, hi = _as_date(f.min), _as_date(f.max)
    if lo and d < lo:
        return None, f"La data non può essere precedente al {lo.strftime('%d/%m/%Y')}."
    if hi and d > hi:
        return None, f"La data non può essere successiva al {hi.strftime('%d/%m/%Y')}."
    return d.isoformat(), None


def _check_choice(f: FormField, value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str) or value not in {o.value for o in f.options or []}:
        return None, "Scegli una delle opzioni proposte."
    return value, None


def _check_checkbox(f: FormField, value: Any) -> tuple[Any, str | None]:
    if (b := _parse_bool(value)) is None:
        return None, "Valore non valido (sì o no)."
    if f.required and not b:
        return None, "Questa casella è obbligatoria."
    return b, None


def _option(f: FormField, value: Any) -> Option:
    return next(o for o in f.options or [] if o.value == value)


def _as_text(f: FormField, value: Any) -> str:
    return str(value)


def _free(f: FormField, value: Any = None) -> Surcharge:
    return NOTHING


def _number_price(f: FormField, value: Any) -> Surcharge:
    return (value * f.unit_price_cents, 0) if f.unit_price_cents else NOTHING


def _number_from(f: FormField) -> Surcharge:
    if not f.unit_price_cents:
        return NOTHING
    return max(f.min if isinstance(f.min, int) else 0, 0) * f.unit_price_cents, 0


def _number_max(f: FormField) -> Surcharge:
    if not (f.unit_price_cents and isinstance(f.max, int)):
        return NOTHING
    return max(f.max, 0) * f.unit_price_cents, 0


def _choice_price(f: FormField, value: Any) -> Surcharge:
    opt = _option(f, value)
    return opt.price_cents, opt.percent_bp


def _choice_from(f: FormField) -> Surcharge:
    if not f.options:
        return NOTHING
    cheapest = min(f.options, key=lambda o: (o.price_cents, o.percent_bp))
    return cheapest.price_cents, cheapest.percent_bp


def _choice_max(f: FormField) -> Surcharge:
    if not f.options:
        return NOTHING
    return max(o.price_cents for o in f.options), max(o.percent_bp for o in f.options)


def _no_price_label(f: FormField, value: Any) -> tuple[str, str]:
    return f.label, "extra"


def _number_price_label(f: FormField, value: Any) -> tuple[str, str]:
    return f"{f.label}: {value} × {eur(f.unit_price_cents or 0)}", "quantity"


def _choice_price_label(f: FormField, value: Any) -> tuple[str, str]:
    return f"{f.label}: {_option(f, value).label}", "extra"


def _checkbox_extra(f: FormField, value: Any = True) -> Surcharge:
    return (f.price_cents or 0, f.percent_bp or 0) if value else NOTHING


@dataclass(frozen=True)
class FieldKind:
    """What one field type means: its definition's rules, its answers' rules, label and price."""

    definition_errors: Callable[[FormField], Problems]
    check: Callable[[FormField, Any], tuple[Any, str | None]]
    label: Callable[[FormField, Any], str]
    price: Callable[[FormField, Any], Surcharge]
    price_label: Callable[[FormField, Any], tuple[str, str]]
    price_from: Callable[[FormField], Surcharge]
    price_max: Callable[[FormField], Surcharge]


_TEXT = FieldKind(_text_definition, _check_text, _as_text, _free, _no_price_label, _free, _free)
_CHOICE = FieldKind(_choice_definition, _check_choice, lambda f, v: _option(f, v).label,
                    _choice_price, _choice_price_label, _choice_from, _choice_max)
FIELD_TYPES: dict[str, FieldKind] = {
    "text": _TEXT,
    "textarea": _TEXT,
    "email": FieldKind(_no_problems, _check_text, _as_text, _free, _no_price_label, _free, _free),
    "tel": FieldKind(_no_problems, _check_text, _as_text, _free, _no_price_label, _free, _free),
    "date": FieldKind(_date_definition, _check_date,
                      lambda f, v: date.fromisoformat(v).strftime("%d/%m/%Y"), _free,
                      _no_price_label, _free, _free),
    "number": FieldKind(_number_definition, _check_number, _as_text, _number_price,
                        _number_price_label, _number_from, _number_max),
    "select": _CHOICE,
    "radio": _CHOICE,
    "checkbox": FieldKind(_checkbox_definition, _check_checkbox,
                          lambda f, v: "Sì" if v else "No", _checkbox_extra, _no_price_label,
                          _checkbox_extra, _checkbox_extra),
    "file": FieldKind(file_definition, check_file, lambda f, v: ", ".join(d["name"] for d in v),
                      _free, _no_price_label, _free, _free),
}


def _with_surcharges(subtotal: int, surcharges: list[Surcharge]) -> int:
    subtotal += sum(cents for cents, _ in surcharges)
    return subtotal + percent_of(subtotal, sum(bp for _, bp in surcharges))


def price_answers(
    form: FormDefinition, base_net_cents: int | None, answers: dict[str, Any],
    receipts: ReceiptCheck | None = None,
) -> tuple[PricedAnswers | None, list[FieldError]]:
    """Validate answers against the form and price one unit. Errors at `answers.<name>`.
    File answers are upload receipts, checked by `receipts` (the cart passes its verifier)."""
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    labels: list[AnswerLabel] = []
    if not isinstance(answers, dict):
        return None, [FieldError(field="answers", message="Le risposte devono essere un oggetto.")]
    for name in answers:
        if form.field(name) is None:
            errors.append(
                FieldError(field=f"answers.{name}", message="Campo sconosciuto per questo servizio.")
            )
    surcharges: list[Surcharge] = []
    additions: list[Addition] = []
    for f in form.fields:
        raw = answers.get(f.name)
        if f.type == "checkbox" and raw is None:
            raw = False
        if _blank(raw) or (f.type == "checkbox" and raw is False and not f.required):
            if f.required:
                errors.append(FieldError(field=f"answers.{f.name}", message="Campo obbligatorio."))
            elif f.type == "checkbox":
                clean[f.name] = False
            continue
        kind = FIELD_TYPES.get(f.type)
        if f.type == "file":
            raw, error = verified_files(raw, receipts)
            if error:
                errors.append(FieldError(field=f"answers.{f.name}", message=error))
                continue
        value, error = kind.check(f, raw) if kind else (None, "Tipo di campo sconosciuto.")
        if error:
            errors.append(FieldError(field=f"answers.{f.name}", message=error))
            continue
        clean[f.name] = value
        if f.type == "checkbox" and not value:
            continue
        labels.append(AnswerLabel(label=f.label, value=kind.label(f, value)))
        cents, bp = kind.price(f, value)
        surcharges.append((cents, bp))
        if cents or bp:
            label, entry_kind = kind.price_label(f, value)
            # A percent names what it is for, not the field's question ("+20 % lingue dell'Est").
            percent_name = _option(f, value).label if f.type in ("select", "radio") else f.label
            if cents:
                additions.append(Addition(label=label, cents=cents, kind=entry_kind))
            if bp:
                additions.append(Addition(label=percent_name, percent_bp=bp))
    if errors:
        return None, errors
    unit = _with_surcharges(base_net_cents or 0, surcharges)
    breakdown = price_breakdown(base_net_cents or 0, additions)
    return PricedAnswers(answers=clean, answer_labels=labels, unit_net_cents=unit,
                         price_breakdown=breakdown), []


def price_from(form: FormDefinition, base_net_cents: int | None) -> int:
    """The least unit net price any valid set of answers can give ("da … + IVA")."""
    return _with_surcharges(base_net_cents or 0,
                            [FIELD_TYPES[f.type].price_from(f) for f in form.fields if f.required])


def price_max(form: FormDefinition, base_net_cents: int | None) -> int:
    """The dearest unit net price any answers can give (every surcharge and extra at its maximum)."""
    return _with_surcharges(base_net_cents or 0,
                            [FIELD_TYPES[f.type].price_max(f) for f in form.fields])
