"""Answer validation and pricing of the shared form model, as the cart uses it (no I/O)."""

from __future__ import annotations

import pytest
from sportello.contracts.forms import FormDefinition, price_answers


def form(*fields) -> FormDefinition:
    return FormDefinition.model_validate({"fields": list(fields)})


def errors_of(f: FormDefinition, answers, base=0) -> dict[str, str]:
    priced, errors = price_answers(f, base, answers)
    assert (priced is None) == bool(errors)
    return {e.field: e.message for e in errors}


def unit(f: FormDefinition, answers, base=0) -> int:
    priced, errors = price_answers(f, base, answers)
    assert not errors, errors
    return priced.unit_net_cents


TEXT = {"name": "company", "label": "Azienda", "type": "text", "required": True, "max_length": 5}


def test_text_up_to_max_length_is_accepted_one_more_is_refused():
    f = form(TEXT)
    assert unit(f, {"company": "abcde"}) == 0
    assert errors_of(f, {"company": "abcdef"}) == {
        "answers.company": "Il testo è troppo lungo (massimo 5 caratteri)."}


def test_text_is_trimmed_and_blank_counts_as_missing():
    f = form(TEXT)
    priced, _ = price_answers(f, 0, {"company": "  ab  "})
    assert priced.answers == {"company": "ab"}
    assert errors_of(f, {"company": "   "}) == {"answers.company": "Campo obbligatorio."}
    assert errors_of(f, {"company": 12}) == {"answers.company": "Deve essere un testo."}


def test_textarea_defaults_to_ten_thousand_characters():
    f = form({"name": "notes", "label": "Note", "type": "textarea"})
    assert unit(f, {"notes": "x" * 10_000}) == 0
    assert "answers.notes" in errors_of(f, {"notes": "x" * 10_001})


def test_email_is_validated_and_normalised():
    f = form({"name": "email", "label": "Email", "type": "email", "required": True})
    priced, _ = price_answers(f, 0, {"email": "Anna@Example.IT"})
    assert priced.answers["email"] == "Anna@example.it"
    assert errors_of(f, {"email": "non-una-email"}) == {"answers.email": "Indirizzo email non valido."}


def test_tel_accepts_italian_numbers_and_refuses_letters():
    f = form({"name": "tel", "label": "Telefono", "type": "tel"})
    assert unit(f, {"tel": "+39 02 1234567"}) == 0
    assert errors_of(f, {"tel": "chiamami"}) == {"answers.tel": "Numero di telefono non valido."}


DATE = {"name": "day", "label": "Giorno", "type": "date", "min": "2027-01-01", "max": "2027-12-31"}


def test_date_boundaries_are_inclusive_and_labels_are_italian():
    f = form(DATE)
    priced, _ = price_answers(f, 0, {"day": "2027-01-01"})
    assert priced.answer_labels[0].value == "01/01/2027"
    assert unit(f, {"day": "2027-12-31"}) == 0
    assert errors_of(f, {"day": "2026-12-31"}) == {
        "answers.day": "La data non può essere precedente al 01/01/2027."}
    assert errors_of(f, {"day": "2028-01-01"}) == {
        "answers.day": "La data non può essere successiva al 31/12/2027."}
    assert errors_of(f, {"day": "2027-02-30"}) == {
        "answers.day": "Data non valida (formato AAAA-MM-GG)."}


PAGES = {"name": "pages", "label": "Pagine", "type": "number", "min": 1, "max": 10, "step": 1,
         "unit_price_cents": 5000}


@pytest.mark.parametrize(("value", "expected"), [(1, 15000), (10, 60000), ("4", 30000), (2.0, 20000)])
def test_number_adds_value_times_unit_price_within_bounds(value, expected):
    assert unit(form(PAGES), {"pages": value}, base=10000) == expected


@pytest.mark.parametrize(("value", "message"), [
    (0, "Il valore minimo è 1."),
    (11, "Il valore massimo è 10."),
    (2.5, "Deve essere un numero intero."),
    ("tre", "Deve essere un numero intero."),
    (True, "Deve essere un numero intero."),
])
def test_number_outside_bounds_or_not_an_integer_is_refused(value, message):
    assert errors_of(form(PAGES), {"pages": value}) == {"answers.pages": message}


def test_number_step_counts_from_the_minimum():
    f = form({"name": "hours", "label": "Ore", "type": "number", "min": 2, "max": 20, "step": 2})
    assert unit(f, {"hours": 4}) == 0
    assert errors_of(f, {"hours": 5}) == {"answers.hours": "Il valore deve andare a passi di 2."}


def test_priced_number_without_minimum_cannot_go_below_zero():
    # Without this floor, -3 × 50,00 would take 150,00 off the price.
    f = form({"name": "extra", "label": "Extra", "type": "number", "max": 10,
              "unit_price_cents": 5000})
    assert unit(f, {"extra": 0}, base=10000) == 10000
    assert errors_of(f, {"extra": -3}) == {"answers.extra": "Il valore minimo è 0."}


SELECT = {"name": "plan", "label": "Piano", "type": "select", "required": True, "options": [
    {"value": "base", "label": "Base"},
    {"value": "pro", "label": "Pro", "price_cents": 4990},
    {"value": "urgent", "label": "Urgente", "percent_bp": 3000}]}


def test_select_adds_option_price_and_percent_surcharge_half_up():
    f = form(SELECT)
    assert unit(f, {"plan": "pro"}, base=10000) == 14990
    # 10001 × 30 % = 3000.3 → 3000
    assert unit(f, {"plan": "urgent"}, base=10001) == 13001
    # 10005 × 30 % = 3001.5 → 3002 (half-up)
    assert unit(f, {"plan": "urgent"}, base=10005) == 13007
    priced, _ = price_answers(f, 0, {"plan": "pro"})
    assert [(a.label, a.value) for a in priced.answer_labels] == [("Piano", "Pro")]


def test_select_and_radio_refuse_an_unknown_option():
    radio = {**SELECT, "name": "size", "type": "radio"}
    assert errors_of(form(SELECT, radio), {"plan": "gold", "size": ["base"]}) == {
        "answers.plan": "Scegli una delle opzioni proposte.",
        "answers.size": "Scegli una delle opzioni proposte.",
    }


def test_checkbox_adds_its_price_only_when_checked():
    f = form({"name": "hosting", "label": "Hosting", "type": "checkbox", "price_cents": 2000})
    assert unit(f, {"hosting": True}, base=100) == 2100
    assert unit(f, {"hosting": "false"}, base=100) == 100
    assert unit(f, {}, base=100) == 100
    assert errors_of(f, {"hosting": "forse"}) == {"answers.hosting": "Valore non valido (sì o no)."}


def test_required_checkbox_must_be_checked():
    f = form({"name": "terms", "label": "Condizioni", "type": "checkbox", "required": True})
    assert unit(f, {"terms": True}) == 0
    assert errors_of(f, {"terms": False}) == {"answers.terms": "Questa casella è obbligatoria."}
    assert errors_of(f, {}) == {"answers.terms": "Questa casella è obbligatoria."}


def test_every_bad_answer_is_one_error_and_unknown_fields_are_refused():
    f = form(TEXT, PAGES, SELECT)
    assert errors_of(f, {"pages": 99, "plan": "gold", "colour": "blu"}) == {
        "answers.company": "Campo obbligatorio.",
        "answers.pages": "Il valore massimo è 10.",
        "answers.plan": "Scegli una delle opzioni proposte.",
        "answers.colour": "Campo sconosciuto per questo servizio.",
    }


def test_answers_that_are_not_an_object_are_refused():
    assert errors_of(form(TEXT), ["company"]) == {"answers": "Le risposte devono essere un oggetto."}
