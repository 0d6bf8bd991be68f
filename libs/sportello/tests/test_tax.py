"""The tax rule without I/O: each customer and service gets the treatment the law gives it."""

from __future__ import annotations

import pytest
from sportello.contracts.billing import Address, Billing
from sportello.contracts.tax import (
    NOT_SUBJECT_7TER,
    REVERSE_CHARGE_EU,
    line_treatment,
    stamp_duty_cents,
)


def billing(customer_type: str = "privato", country: str = "IT", vat: str | None = None) -> Billing:
    return Billing(customer_type=customer_type, first_name="Anna", last_name="Rossi",
                   company_name="Ditta" if customer_type == "azienda" else None, vat_number=vat,
                   address=Address(street="Via Roma 1", postal_code="20121", city="Milano",
                                   province="MI" if country == "IT" else None, country=country),
                   email="a@example.it")


@pytest.mark.parametrize("who", [billing(), billing("azienda", vat="01234560157"), None])
def test_italian_customers_pay_vat_at_the_services_rate(who):
    assert line_treatment(2200, None, who).model_dump() == {
        "vat_rate_bp": 2200, "vat_nature": None, "vat_note": None, "reverse_charge": False,
        "counts_for_stamp_duty": False}


def test_accredited_training_is_exempt_n4_and_counts_for_the_stamp_duty():
    t = line_treatment(2200, "art10_n20", billing())
    assert (t.vat_rate_bp, t.vat_nature, t.counts_for_stamp_duty) == (0, "N4", True)
    assert "art. 10, n. 20" in t.vat_note


def test_a_german_business_with_a_valid_vat_number_is_reverse_charged():
    t = line_treatment(2200, None, billing("azienda", "DE", "DE136695976"))
    assert (t.vat_rate_bp, t.vat_nature, t.reverse_charge) == (0, NOT_SUBJECT_7TER, True)
    assert t.vat_note == REVERSE_CHARGE_EU == "IVA: inversione contabile, art. 7-ter DPR 633/72"
    assert not t.counts_for_stamp_duty
    # The number may come without its country prefix.
    assert line_treatment(2200, None, billing("azienda", "DE", "136695976")).reverse_charge


def test_an_eu_business_whose_vat_number_is_not_valid_pays_italian_vat():
    assert line_treatment(2200, None, billing("azienda", "DE", "DE123")).vat_rate_bp == 2200


def test_outside_the_eu_a_business_is_not_subject_and_a_consumer_pays_italian_vat():
    b2b = line_treatment(2200, None, billing("azienda", "CH", "CHE-116.281.710"))
    assert (b2b.vat_rate_bp, b2b.vat_nature, b2b.reverse_charge) == (0, NOT_SUBJECT_7TER, False)
    assert line_treatment(2200, None, billing("privato", "CH")).vat_rate_bp == 2200
    assert line_treatment(2200, None, billing("privato", "DE")).vat_rate_bp == 2200


def test_stamp_duty_is_two_euro_above_77_47_of_amounts_not_subject_to_vat():
    exempt = line_treatment(2200, "art10_n20", billing())
    taxed = line_treatment(2200, None, billing())
    assert stamp_duty_cents([(7747, exempt)]) == 0
    assert stamp_duty_cents([(7748, exempt)]) == 200
    assert stamp_duty_cents([(50000, taxed)]) == 0
    assert stamp_duty_cents([(5000, exempt), (5000, exempt), (90000, taxed)]) == 200
    assert stamp_duty_cents([(7748, exempt)], charged=False) == 0
    reverse = line_treatment(2200, None, billing("azienda", "DE", "DE136695976"))
    assert stamp_duty_cents([(100000, reverse)]) == 0


def test_document_totals_group_by_rate_and_natura_and_add_the_charged_stamp_duty():
    from sportello.contracts.tax import document_totals, taxed_amounts

    course = taxed_amounts(5000, 2, 0, "art10_n20", billing())     # 100,00 € exempt
    site = taxed_amounts(10000, 1, 2200, None, billing())          # 100,00 € + 22,00 €
    t = document_totals([course, site])
    assert (t.net_cents, t.vat_cents, t.stamp_duty_cents, t.gross_cents) == (20000, 2200, 200, 22400)
    assert [(g.vat_rate_bp, g.vat_nature, g.taxable_cents) for g in t.vat_groups] == [
        (0, "N4", 10000), (2200, None, 10000)]
    assert t.notes == ["Esente IVA art. 10, n. 20, DPR 633/72"]
    # Not charged to the customer: the total leaves it out (the seller still owes it).
    assert document_totals([course, site], charge_stamp_duty=False).gross_cents == 22200


def test_a_german_business_pays_no_italian_vat_and_no_stamp_duty_even_on_exempt_training():
    from sportello.contracts.tax import document_totals, taxed_amounts

    de = billing("azienda", "DE", "DE136695976")
    t = document_totals([taxed_amounts(12000, 1, 0, "art10_n20", de)])
    assert (t.vat_cents, t.stamp_duty_cents, t.gross_cents) == (0, 0, 12000)
    assert t.notes == ["IVA: inversione contabile, art. 7-ter DPR 633/72"]
