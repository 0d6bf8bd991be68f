"""The cart's pure rules: which cart takes which service, re-pricing at checkout, contacts."""

from __future__ import annotations

import uuid

import pytest
from sportello.contracts.billing import Billing
from sportello.contracts.idempotency import check_idempotency_key
from sportello.errors import Conflict, ValidationFailed
from sportello_cart import domain
from sportello_cart.domain import Kind, LineToCheck

from .conftest import ANSWERS, ANSWERS_UNIT_NET, BILLING, snapshot


def line(slug: str, unit: int = ANSWERS_UNIT_NET, *, locked=False, answers=None) -> LineToCheck:
    return LineToCheck(id=uuid.uuid4(), service_slug=slug, service_name="Sito", vat_rate_bp=2200,
                       answers=answers or ANSWERS, unit_net_cents=unit, locked=locked)


@pytest.mark.parametrize(("mode", "quote_allowed", "purchase", "quote"), [
    ("fixed", False, True, False),
    ("fixed", True, True, True),
    ("quote", False, False, True),
])
def test_which_cart_takes_which_service(mode, quote_allowed, purchase, quote):
    s = snapshot(pricing_mode=mode, quote_allowed=quote_allowed)
    assert domain.accepts(Kind.PURCHASE, s) is purchase
    assert domain.accepts(Kind.QUOTE, s) is quote


def test_a_retired_or_unknown_service_is_refused():
    retired = snapshot().model_copy(update={"active": False})
    with pytest.raises(Conflict):
        domain.check_service(Kind.PURCHASE, retired, retired.slug)
    with pytest.raises(ValidationFailed):
        domain.check_service(Kind.PURCHASE, None, "nope")


def test_unchanged_lines_have_no_problem():
    s = snapshot()
    assert domain.reprice_problems([line(s.slug)], {s.slug: s}) == []


def test_a_changed_price_names_the_line_with_old_and_new_price():
    s = snapshot(base_net_cents=12000)
    stale = line(s.slug)
    [problem] = domain.reprice_problems([stale], {s.slug: s})
    assert problem["line_id"] == str(stale.id)
    assert problem["reason"] == "price_changed"
    assert (problem["old_unit_net_cents"], problem["new_unit_net_cents"]) == (25000, 27000)


def test_a_changed_vat_rate_is_a_changed_price():
    s = snapshot(vat_rate_bp=1000)
    assert domain.reprice_problems([line(s.slug)], {s.slug: s})[0]["reason"] == "price_changed"


def test_retired_missing_and_now_quote_only_services_are_problems():
    retired = snapshot().model_copy(update={"active": False})
    quote_only = snapshot(pricing_mode="quote")
    problems = domain.reprice_problems(
        [line(retired.slug), line("never-seen"), line(quote_only.slug)],
        {retired.slug: retired, quote_only.slug: quote_only})
    assert [p["reason"] for p in problems] == ["retired", "retired", "retired"]


def test_answers_no_longer_valid_for_the_form_are_a_problem():
    s = snapshot(fields=[{"name": "pages", "label": "Pagine", "type": "number", "required": True}])
    assert domain.reprice_problems([line(s.slug)], {s.slug: s})[0]["reason"] == "answers_invalid"


def test_a_line_locked_by_a_quote_keeps_its_price_whatever_the_catalog_says():
    s = snapshot(base_net_cents=99999)
    assert domain.reprice_problems([line(s.slug, 1234, locked=True)], {}) == []
    assert domain.reprice_problems([line(s.slug, 1234, locked=True)], {s.slug: s}) == []


def test_contact_falls_back_to_the_billing_names():
    account = uuid.uuid4()
    person = domain.contact_from_billing(account, Billing.model_validate(BILLING))
    assert (person.first_name, person.last_name, person.email) == ("Mario", "Rossi", BILLING["email"])
    company = Billing.model_validate({**BILLING, "customer_type": "azienda", "first_name": None,
                                      "last_name": None, "company_name": "Rossi S.r.l."})
    assert domain.contact_from_billing(account, company).first_name == "Rossi S.r.l."


def test_fingerprint_ignores_key_order():
    assert domain.fingerprint({"a": 1, "b": [1, 2]}) == domain.fingerprint({"b": [1, 2], "a": 1})
    assert domain.fingerprint({"a": 1}) != domain.fingerprint({"a": 2})


@pytest.mark.parametrize("key", [None, "", "   ", "x" * 256])
def test_idempotency_key_must_be_1_to_255_characters(key):
    with pytest.raises(ValidationFailed):
        check_idempotency_key(key)
    assert check_idempotency_key("x" * 255)


def test_cart_tokens_are_long_random_and_stored_as_a_hash():
    a, b = domain.new_cart_token(), domain.new_cart_token()
    assert a != b and len(a) >= 43
    assert domain.hash_token(a) != a.encode() and len(domain.hash_token(a)) == 32


def test_a_line_priced_against_the_replicas_very_version_is_not_priced_again():
    s = snapshot(version=3)
    def priced_at(version):
        return LineToCheck(id=uuid.uuid4(), service_slug=s.slug, service_name="Sito",
                           vat_rate_bp=1000, answers={}, unit_net_cents=1, locked=False,
                           service_version=version)
    assert domain.reprice_problems([priced_at(3)], {s.slug: s}) == []
    assert [p["reason"] for p in domain.reprice_problems([priced_at(2)], {s.slug: s})] \
        == ["answers_invalid"]
    retired = s.model_copy(update={"active": False})
    assert [p["reason"] for p in domain.reprice_problems([priced_at(3)], {s.slug: retired})] \
        == ["retired"]
