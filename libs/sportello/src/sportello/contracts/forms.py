"""A service's form: its definition, the rules of a definition, answer validation and pricing.

Catalog validates definitions and computes "price from" with this module; cart validates the
customer's answers and prices the line with the same code, so the two cannot disagree.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field

from sportello.contracts.fields import FieldError
from sportello.contracts.money import percent_of

FieldType = Literal["text", "textarea", "email", "tel", "date", "number", "select", "radio", "checkbox"]
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
        if f.type in ("text", "textarea") and f.max_length is not None and not 1 <= f.max_length <= MAX_TEXT:
            err("max_length", f"La lunghezza massima deve essere tra 1 e {MAX_TEXT}.")
        if f.type == "number":
            for attr in ("min", "max"):
                v = getattr(f, attr)
                if v is not None and not isinstance(v, int):
                    err(attr, "Deve essere un numero intero.")
            if isinstance(f.min, int) and isinstance(f.max, int) and f.min > f.max:
                err("max", "Il massimo deve essere maggiore o uguale al minimo.")
            if f.step is not None and f.step < 1:
                err("step", "Il passo deve essere almeno 1.")
            if f.unit_price_cents is not None and f.unit_price_cents < 0:
                err("unit_price_cents", "Il prezzo non può essere negativo.")
            if f.unit_price_cents and f.max is None:
                err("max", "Un campo numerico con prezzo unitario deve avere un massimo.")
            # A negative quantity times a unit price would lower the line's price below zero.
            if f.unit_price_cents and (f.min is None or isinstance(f.min, int) and f.min < 0):
                err("min", "Un campo numerico con prezzo unitario deve avere un minimo di almeno 0.")
        if f.type == "date":
            for attr in ("min", "max"):
                v = getattr(f, attr)
                if v is not None and _as_date(v) is None:
                    err(attr, "Usa una data nel formato AAAA-MM-GG.")
            lo, hi = _as_date(f.min), _as_date(f.max)
            if lo and hi and lo > hi:
                err("max", "La data massima deve seguire la minima.")
        if f.type in ("select", "radio"):
            if not f.options:
                err("options", "Un campo a scelta deve avere almeno un'opzione.")
            else:
                values = [o.value for o in f.options]
                if len(set(values)) != len(values):
                    err("options", "I valori delle opzioni devono essere diversi tra loro.")
                for j, o in enumerate(f.options):
                    if o.price_cents < 0:
                        err(f"options.{j}.price_cents", "Il prezzo non può essere negativo.")
                    if not 0 <= o.percent_bp <= 100_000:
                        err(f"options.{j}.percent_bp", "La maggiorazione deve essere tra 0 e 100000.")
        if f.type == "checkbox":
            if f.price_cents is not None and f.price_cents < 0:
                err("price_cents", "Il prezzo non può essere negativo.")
            if f.percent_bp is not None and not 0 <= f.percent_bp <= 100_000:
                err("percent_bp", "La maggiorazione deve essere tra 0 e 100000.")
    return errors


class AnswerLabel(BaseModel):
    label: str
    value: str


class PricedAnswers(BaseModel):
    """Answers as kept (normalised), their human labels, and the line's unit net price."""

    answers: dict[str, Any]
    answer_labels: list[AnswerLabel]
    unit_net_cents: int


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


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


def _check(f: FormField, value: Any) -> tuple[Any, str | None]:
    """(normalised value, Italian error or None) of one non-blank answer."""
    if f.type in ("text", "textarea", "email", "tel"):
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
    if f.type == "number":
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
    if f.type == "date":
        d = _as_date(value) if isinstance(value, str) else None
        if d is None:
            return None, "Data non valida (formato AAAA-MM-GG)."
        lo, hi = _as_date(f.min), _as_date(f.max)
        if lo and d < lo:
            return None, f"La data non può essere precedente al {lo.strftime('%d/%m/%Y')}."
        if hi and d > hi:
            return None, f"La data non può essere successiva al {hi.strftime('%d/%m/%Y')}."
        return d.isoformat(), None
    if f.type in ("select", "radio"):
        if not isinstance(value, str) or value not in {o.value for o in f.options or []}:
            return None, "Scegli una delle opzioni proposte."
        return value, None
    if f.type == "checkbox":
        b = _parse_bool(value)
        if b is None:
            return None, "Valore non valido (sì o no)."
        if f.required and not b:
            return None, "Questa casella è obbligatoria."
        return b, None
    return None, "Tipo di campo sconosciuto."


def _label(f: FormField, value: Any) -> str:
    if f.type in ("select", "radio"):
        return next(o.label for o in f.options or [] if o.value == value)
    if f.type == "checkbox":
        return "Sì" if value else "No"
    if f.type == "date":
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    return str(value)


def price_answers(
    form: FormDefinition, base_net_cents: int | None, answers: dict[str, Any]
) -> tuple[PricedAnswers | None, list[FieldError]]:
    """Validate answers against the form and price one unit. Errors at `answers.<name>`."""
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
    subtotal = base_net_cents or 0
    percent = 0
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
        value, error = _check(f, raw)
        if error:
            errors.append(FieldError(field=f"answers.{f.name}", message=error))
            continue
        clean[f.name] = value
        if f.type == "checkbox" and not value:
            continue
        labels.append(AnswerLabel(label=f.label, value=_label(f, value)))
        if f.type in ("select", "radio"):
            opt = next(o for o in f.options or [] if o.value == value)
            subtotal += opt.price_cents
            percent += opt.percent_bp
        elif f.type == "checkbox":
            subtotal += f.price_cents or 0
            percent += f.percent_bp or 0
        elif f.type == "number" and f.unit_price_cents:
            subtotal += value * f.unit_price_cents
    if errors:
        return None, errors
    unit = subtotal + percent_of(subtotal, percent)
    return PricedAnswers(answers=clean, answer_labels=labels, unit_net_cents=unit), []


def price_from(form: FormDefinition, base_net_cents: int | None) -> int:
    """The least unit net price any valid set of answers can give ("da … + IVA")."""
    subtotal = base_net_cents or 0
    percent = 0
    for f in form.fields:
        if not f.required:
            continue
        if f.type in ("select", "radio") and f.options:
            cheapest = min(f.options, key=lambda o: (o.price_cents, o.percent_bp))
            subtotal += cheapest.price_cents
            percent += cheapest.percent_bp
        elif f.type == "checkbox":
            subtotal += f.price_cents or 0
            percent += f.percent_bp or 0
        elif f.type == "number" and f.unit_price_cents:
            subtotal += max(f.min if isinstance(f.min, int) else 0, 0) * f.unit_price_cents
    return subtotal + percent_of(subtotal, percent)
