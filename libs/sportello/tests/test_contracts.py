"""Contracts: every event round-trips, unknown fields are tolerated, money and billing rules."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError
from sportello.contracts.billing import Billing, billing_errors, normalised
from sportello.contracts.envelope import Envelope
from sportello.contracts.events import EVENTS
from sportello.contracts.money import format_eur, line_amounts, totals, vat_cents
from sportello.contracts.people import CompanyName, PersonName
from sportello.messaging.outbox import envelope_json, envelope_of

ID = uuid.UUID("5a3e1f0c-1111-4c2d-9e7a-000000000001")
CONTACT = {"account_id": str(ID), "email": "mario.rossi@example.it", "first_name": "Mario",
           "last_name": "Rossi"}
FORM = {"fields": [{"name": "pagine", "label": "Pagine", "type": "number", "required": True,
                    "min": 1, "max": 50, "unit_price_cents": 2500}]}
SERVICE_REF = {"slug": "traduzione", "name": "Traduzione", "version": 3}
ANSWERS = {"answers": {"pagine": 4}, "answer_labels": [{"label": "Pagine", "value": "4"}]}
PRICED = {"line_id": str(ID), "service": SERVICE_REF, **ANSWERS, "quantity": 1,
          "unit_net_cents": 10000, "vat_rate_bp": 2200, "net_cents": 10000, "vat_cents": 2200,
          "gross_cents": 12200}
BILLING = {"customer_type": "privato", "first_name": "Mario", "last_name": "Rossi",
           "tax_code": "RSSMRA85T10A562S",
           "address": {"street": "Via Roma 1", "postal_code": "20121", "city": "Milano",
                       "province": "MI", "country": "IT"},
           "email": "mario.rossi@example.it"}
TOTALS = {"net_cents": 10000, "vat_cents": 2200, "gross_cents": 12200}
REQ_LINE = {"line_id": str(ID), "service": SERVICE_REF, "vat_rate_bp": 2200, **ANSWERS, "quantity": 1}
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC).isoformat()

# A realistic payload for every event type: adding an event without a sample fails the test below.
SAMPLES = {
    "account.registered": {"account_id": str(ID), "email": "a@b.it", "first_name": "A",
                           "last_name": "B", "marketing_consent": True},
    "account.updated": {"account_id": str(ID), "email": "a@b.it", "first_name": "A", "last_name": "B",
                        "phone": "+39 333 1234567"},
    "account.deleted": {"account_id": str(ID)},
    "account.sessions_revoked": {"account_id": str(ID), "session_ids": [str(ID)]},
    "account.password_changed": {"account_id": str(ID), "email": "a@b.it", "first_name": "A",
                                 "via": "reset", "at": NOW},
    "account.email_change_requested": {"account_id": str(ID), "email": "a@b.it",
                                       "new_email": "c@d.it", "first_name": "A",
                                       "token": "s3cret", "expires_at": NOW},
    "account.password_reset_requested": {"account_id": str(ID), "email": "a@b.it",
                                         "first_name": "A", "token": "s3cret", "expires_at": NOW},
    "catalog.service.published": {"service": {
        "slug": "traduzione", "name": "Traduzione", "category": {"slug": "traduzioni", "name": "Traduzioni"},
        "pricing_mode": "fixed", "base_net_cents": 0, "vat_rate_bp": 2200, "form": FORM, "version": 3}},
    "catalog.service.retired": {"slug": "traduzione", "version": 4},
    "cart.checked_out": {"order_id": str(ID), "customer": CONTACT, "lines": [PRICED], "totals": TOTALS,
                         "billing": BILLING, "payment_method": "card"},
    "quote_cart.submitted": {"quote_id": str(ID), "customer": CONTACT, "lines": [REQ_LINE],
                             "message": "Serve entro marzo."},
    "quote.requested": {"quote_id": str(ID), "number": "PR-2026-000012", "customer": CONTACT,
                        "lines": [REQ_LINE]},
    "quote.issued": {"quote_id": str(ID), "number": "PR-2026-000012", "revision": 1,
                     "customer": CONTACT, "lines": [{k: v for k, v in PRICED.items()}],
                     "totals": TOTALS, "valid_until": "2026-12-31", "note": "Tempi: 2 settimane"},
    "quote.accepted": {"quote_id": str(ID), "number": "PR-2026-000012", "customer": CONTACT,
                       "lines": [PRICED]},
    "quote.declined": {"quote_id": str(ID), "number": "PR-2026-000012", "customer": CONTACT},
    "quote.rejected": {"quote_id": str(ID), "number": "PR-2026-000012", "customer": CONTACT,
                       "reason": "Fuori dal nostro ambito."},
    "quote.expired": {"quote_id": str(ID), "number": "PR-2026-000012", "customer": CONTACT,
                      "valid_until": "2026-12-31"},
    "quote.message_posted": {"quote_id": str(ID), "number": "PR-2026-000012", "customer": CONTACT,
                             "message_id": str(ID), "author": "staff", "body": "Ciao"},
    "quote.changes_requested": {"quote_id": str(ID), "number": "PR-2026-000012",
                                "customer": CONTACT, "revision": 1, "message": "Meno pagine"},
    "quote.expiring": {"quote_id": str(ID), "number": "PR-2026-000012", "customer": CONTACT,
                       "valid_until": "2026-12-24", "total_gross_cents": 12200},
    "quote.pricing_overdue": {"quote_id": str(ID), "number": "PR-2026-000012", "customer": CONTACT,
                              "requested_at": NOW},
    "invoice.issued": {"invoice_id": str(ID), "order_id": str(ID), "order_number": "SP-2026-000042",
                       "number": "FT-2026-000001", "kind": "TD01", "issued_at": NOW,
                       "customer": CONTACT, "total_cents": 12200},
    **{f"invoice.{status}": {"invoice_id": str(ID), "order_id": str(ID),
                             "order_number": "SP-2026-000042", "number": "FT-2026-000001",
                             "kind": "TD01", "status": status, "at": NOW, "customer": CONTACT,
                             "errors": [{"code": "00305", "description": "IdCodice non valido"}]
                             if status == "rejected" else []}
       for status in ("delivered", "rejected", "not_delivered")},
    "order.placed": {"order_id": str(ID), "number": "SP-2026-000042", "customer": CONTACT,
                     "lines": [PRICED], "totals": TOTALS, "billing": BILLING,
                     "payment_method": "bank_transfer", "placed_at": NOW,
                     "bank_transfer": {"iban": "IT60X0542811101000000123456", "beneficiary": "Sportello",
                                       "reference": "SP-2026-000042", "amount_cents": 12200}},
    "order.paid": {"order_id": str(ID), "number": "SP-2026-000042", "customer": CONTACT,
                   "lines": [PRICED], "totals": TOTALS, "billing": BILLING, "payment_method": "card",
                   "paid_at": NOW, "quote_ids": [str(ID)]},
    "order.payment_failed": {"order_id": str(ID), "number": "SP-2026-000042", "customer": CONTACT,
                             "total_gross_cents": 12200, "reason": "Carta rifiutata"},
    "order.status_changed": {"order_id": str(ID), "number": "SP-2026-000042", "customer": CONTACT,
                             "from_status": "paid", "status": "in_progress", "note": "Iniziato",
                             "at": NOW},
    "order.cancelled": {"order_id": str(ID), "number": "SP-2026-000042", "customer": CONTACT},
    "order.withdrawal_requested": {"order_id": str(ID), "number": "SP-2026-000042",
                                   "customer": CONTACT, "reason": "Ho cambiato idea",
                                   "requested_at": NOW, "early_start_consent_at": None,
                                   "total_gross_cents": 12200},
    "order.payment_needs_staff": {"order_id": str(ID), "number": "SP-2026-000042",
                                  "customer": CONTACT, "reason": "amount_mismatch",
                                  "order_status": "awaiting_payment", "provider": "sandbox",
                                  "provider_session_id": "cs_1", "amount_cents": None,
                                  "expected_cents": 12200},
    "document.delivered": {"document_id": str(ID), "name": "traduzione.pdf",
                           "content_type": "application/pdf", "size_bytes": 182000,
                           "order_id": str(ID), "number": "SP-2026-000042", "customer": CONTACT,
                           "note": "La traduzione asseverata.", "at": NOW},
}


def test_every_event_type_has_a_sample():
    assert set(SAMPLES) == set(EVENTS)


@pytest.mark.parametrize("event_type", sorted(EVENTS))
def test_every_event_round_trips_through_its_envelope(event_type):
    payload = EVENTS[event_type].model_validate(SAMPLES[event_type])
    envelope = Envelope(type=event_type, producer="test", correlation_id="req-1",
                        data=payload.model_dump(mode="json"))
    wire = envelope.model_dump_json()
    back = Envelope.model_validate_json(wire)
    assert back == envelope
    assert back.payload() == payload


@pytest.mark.parametrize("event_type", sorted(EVENTS))
def test_an_envelope_written_as_text_reads_as_the_envelope_of_its_event(event_type):
    payload = EVENTS[event_type].model_validate(SAMPLES[event_type])
    event_id, wire = envelope_json("test", event_type, payload, version=2)
    back = Envelope.model_validate_json(wire)
    expected = envelope_of("test", event_type, payload, version=2)
    assert back.id == event_id
    assert back.model_dump(exclude={"id", "occurred_at"}) \
        == expected.model_dump(exclude={"id", "occurred_at"})
    assert back.payload() == payload
    with pytest.raises(TypeError):
        envelope_json("test", event_type, Envelope(type="x", producer="y", data={}))


@pytest.mark.parametrize("event_type", sorted(EVENTS))
def test_unknown_fields_are_tolerated(event_type):
    data = {**SAMPLES[event_type], "added_in_a_later_version": {"x": 1}}
    wire = json.dumps({"id": str(ID), "type": event_type, "version": 2, "occurred_at": NOW,
                       "producer": "future", "correlation_id": None, "data": data,
                       "envelope_field_of_the_future": True})
    envelope = Envelope.model_validate_json(wire)
    assert envelope.payload() == EVENTS[event_type].model_validate(SAMPLES[event_type])


@pytest.mark.parametrize(
    ("net", "rate", "vat"),
    [
        (1000, 2200, 220),
        (1005, 2200, 221),   # 221.1 → 221
        (250, 2200, 55),     # 55.0
        (125, 2200, 28),     # 27.5 → 28 (half-up)
        (75, 1000, 8),       # 7.5 → 8 (half-up, not banker's)
        (65, 1000, 7),       # 6.5 → 7
        (999, 400, 40),      # 39.96 → 40
        (12345, 0, 0),       # esente
        (0, 2200, 0),
    ],
)
def test_vat_is_computed_per_line_half_up(net, rate, vat):
    assert vat_cents(net, rate) == vat


def test_totals_are_sums_of_rounded_lines():
    lines = [line_amounts(125, 1, 2200), line_amounts(125, 1, 2200), line_amounts(1999, 3, 1000)]
    t = totals(lines)
    assert [line.vat_cents for line in lines] == [28, 28, 600]
    assert (t.net_cents, t.vat_cents, t.gross_cents) == (6247, 656, 6903)


def test_italian_money_format():
    assert format_eur(123450) == "1.234,50 €"
    assert format_eur(5) == "0,05 €"


def billing(**changes) -> Billing:
    data = json.loads(json.dumps(BILLING))
    for key, value in changes.items():
        if key.startswith("address_"):
            data["address"][key.removeprefix("address_")] = value
        elif value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return Billing.model_validate(data)


def error_fields(b: Billing) -> dict[str, str]:
    return {e.field: e.message for e in billing_errors(b)}


AZIENDA = dict(customer_type="azienda", first_name=None, last_name=None, tax_code=None,
               company_name="Rossi S.r.l.", vat_number="00743110157", sdi_code="M5UXCR1")


def test_valid_private_and_company_billing_pass():
    assert error_fields(billing()) == {}
    assert error_fields(billing(**AZIENDA)) == {}
    assert error_fields(billing(**{**AZIENDA, "sdi_code": "0000000", "pec": "rossi@pec.it"})) == {}
    assert error_fields(billing(**{**AZIENDA, "sdi_code": None, "pec": "rossi@pec.it"})) == {}


@pytest.mark.parametrize(
    ("changes", "field", "needle"),
    [
        ({"tax_code": "RSSMRA85T10A562X"}, "tax_code", "non è valido"),
        ({"tax_code": None}, "tax_code", "obbligatorio"),
        ({"first_name": None}, "first_name", "obbligatorio"),
        ({**AZIENDA, "vat_number": "00743110158"}, "vat_number", "non è valida"),
        ({**AZIENDA, "vat_number": "123"}, "vat_number", "non è valida"),
        ({**AZIENDA, "company_name": None}, "company_name", "obbligatoria"),
        ({**AZIENDA, "sdi_code": "ABC"}, "sdi_code", "7 caratteri"),
        ({**AZIENDA, "sdi_code": None}, "sdi_code", "PEC"),
        ({**AZIENDA, "sdi_code": "0000000"}, "pec", "PEC"),
        ({"address_postal_code": "2012"}, "address.postal_code", "5 cifre"),
        ({"address_province": "XX"}, "address.province", "provincia"),
        ({"email": "non-una-email"}, "email", "non è valido"),
    ],
)
def test_each_broken_rule_names_its_field_in_italian(changes, field, needle):
    errors = error_fields(billing(**changes))
    assert field in errors, errors
    assert needle in errors[field]


def test_outside_italy_cf_piva_and_sdi_are_not_required():
    foreign = billing(tax_code=None, address_country="DE", address_postal_code="10115",
                      address_province=None, address_city="Berlin")
    assert error_fields(foreign) == {}
    company = billing(**{**AZIENDA, "vat_number": "DE123456789", "sdi_code": None},
                      address_country="DE", address_province=None)
    assert error_fields(company) == {}


def test_billing_is_kept_normalised():
    b = normalised(billing(tax_code="rssmra85t10a562s", address_province="mi",
                           email="Mario.Rossi@Example.it"))
    assert (b.tax_code, b.address.province, b.email) == ("RSSMRA85T10A562S", "MI",
                                                         "mario.rossi@example.it")


@pytest.mark.parametrize("name", ["Mario", "D'Angelo", "Anne-Marie", "J.R.R. Tolkien", "Zoë",
                                  "Niccolò", "María José", "O’Brien"])
def test_names_of_people_take_letters_spaces_apostrophes_hyphens_and_dots(name):
    assert TypeAdapter(PersonName).validate_python(f" {name} ") == name


@pytest.mark.parametrize("name", [
    "Mario, il tuo account è bloccato: vai su http://evil.example/sblocca",
    "vai su evil.example", "www.sblocca.it", "Mario\x00", "Ma\nrio", "Mario\u202e", "R2D2", "",
    "a" * 101])
def test_names_of_people_refuse_urls_control_characters_digits_and_length(name):
    with pytest.raises(ValidationError) as e:
        TypeAdapter(PersonName).validate_python(name)
    assert e.value.errors()[0]["type"] == "value_error"


def test_company_names_may_hold_digits_and_punctuation_never_control_characters():
    assert TypeAdapter(CompanyName).validate_python("Rossi & Figli S.r.l. (2°)") == \
        "Rossi & Figli S.r.l. (2°)"
    for bad in ("ACME\x07", "ACME\nS.p.A.", "x" * 201):
        with pytest.raises(ValidationError):
            TypeAdapter(CompanyName).validate_python(bad)


def test_billing_uses_the_same_name_rules():
    errors = billing_errors_of({**BILLING, "first_name": "Vai su http://evil.example"})
    assert errors == ["first_name"]


def billing_errors_of(data: dict) -> list[str]:
    try:
        Billing.model_validate(data)
    except ValidationError as e:
        return [".".join(str(p) for p in err["loc"]) for err in e.errors()]
    return []


def test_client_text_refuses_control_characters_and_depth_costs_no_stack():
    from pydantic import TypeAdapter, ValidationError
    from sportello.contracts.text import Line, Text, TooDeep, control_paths, text_errors

    assert TypeAdapter(Line).validate_python("Mario Rossi") == "Mario Rossi"
    assert TypeAdapter(Text).validate_python("riga 1\nriga 2\ttab") == "riga 1\nriga 2\ttab"
    for bad in ("Mario\r\nBcc: x@example.com", "a\x00", "a\x1b[0m"):
        with pytest.raises(ValidationError):
            TypeAdapter(Line).validate_python(bad)
    with pytest.raises(ValidationError):
        TypeAdapter(Text).validate_python("ciao\x00")

    assert control_paths({"a": {"b": ["ok", "no\x00"]}, "k\x00": 1}) == ["a.b.1", "body"]
    deep: list = ["x\x00"]
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(TooDeep):
        control_paths(deep)
    assert [e.message for e in text_errors({"answers": deep}, "")] == [
        "Il contenuto è annidato troppo in profondità."]


def test_the_payment_return_url_is_built_in_one_place():
    import uuid

    from sportello.settings import Settings, payment_return_url

    order_id = uuid.uuid4()
    url = payment_return_url(Settings(storefront_url="https://shop.example.it/"), order_id)
    assert url == f"https://shop.example.it/ordini/{order_id}/esito"
