"""The rules of a quote without a database: state machine, numbering, validity, pricing and its
tax (the shared rule: exempt lines, the stamp duty)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sportello.contracts.events import ServiceRef
from sportello.errors import Conflict, ValidationFailed
from sportello_quotes import domain
from sportello_quotes.domain import Status


def line(qty: int = 1, vat: int = 2200, name: str = "Sito web",
         exemption: str | None = None) -> domain.RequestLine:
    return domain.RequestLine(
        line_id=uuid.uuid4(), service=ServiceRef(slug="sito", name=name, version=1),
        vat_rate_bp=vat, quantity=qty, answers={"pagine": 5},
        answer_labels=[{"label": "Pagine", "value": "5"}], vat_exemption=exemption,
    )


def priced(*lines_and_cents: tuple[domain.RequestLine, int]):
    return domain.price_lines([ln for ln, _ in lines_and_cents],
                              [domain.LinePrice(ln.line_id, c) for ln, c in lines_and_cents])


ALLOWED = {
    (Status.REQUESTED, Status.QUOTED), (Status.REQUESTED, Status.REJECTED),
    (Status.QUOTED, Status.QUOTED), (Status.QUOTED, Status.ACCEPTED),
    (Status.QUOTED, Status.DECLINED), (Status.QUOTED, Status.EXPIRED),
    (Status.ACCEPTED, Status.ORDERED),
    # A customer asks for a change; staff re-issue or reject, or the customer gives up.
    (Status.QUOTED, Status.CHANGES_REQUESTED), (Status.CHANGES_REQUESTED, Status.QUOTED),
    (Status.CHANGES_REQUESTED, Status.REJECTED), (Status.CHANGES_REQUESTED, Status.DECLINED),
}


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("to", list(Status))
def test_only_the_transitions_of_the_architecture_are_allowed(current, to):
    if (current, to) in ALLOWED:
        domain.check_transition("PR-2026-000001", current.value, to)
    else:
        with pytest.raises(Conflict) as e:
            domain.check_transition("PR-2026-000001", current.value, to)
        assert "PR-2026-000001" in e.value.detail
        assert domain.LABELS[current] in e.value.detail


def test_a_quote_is_valid_through_its_last_day_in_rome():
    last_day = date(2026, 1, 10)
    # 23:30 UTC on the 10th is already 00:30 on the 11th in Rome (CET, UTC+1).
    assert not domain.is_past_validity(last_day, datetime(2026, 1, 10, 22, 59, tzinfo=UTC))
    assert domain.is_past_validity(last_day, datetime(2026, 1, 10, 23, 30, tzinfo=UTC))
    # In summer Rome is UTC+2.
    summer = date(2026, 7, 10)
    assert not domain.is_past_validity(summer, datetime(2026, 7, 10, 21, 59, tzinfo=UTC))
    assert domain.is_past_validity(summer, datetime(2026, 7, 10, 22, 0, tzinfo=UTC))
    assert not domain.is_past_validity(None, datetime(2030, 1, 1, tzinfo=UTC))


def test_accept_after_the_last_day_is_a_conflict_even_while_still_quoted():
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    domain.check_acceptable("PR-2026-000001", "quoted", date(2026, 3, 2), now)
    with pytest.raises(Conflict) as e:
        domain.check_acceptable("PR-2026-000001", "quoted", date(2026, 3, 1), now)
    assert "scaduto" in e.value.detail
    with pytest.raises(Conflict):
        domain.check_acceptable("PR-2026-000001", "requested", None, now)


def test_validity_in_the_past_is_refused_but_today_is_fine():
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert domain.validity_errors(date(2026, 3, 2), now) == []
    [err] = domain.validity_errors(date(2026, 3, 1), now)
    assert err.field == "valid_until"


def test_pricing_computes_vat_per_line_half_up_and_keeps_the_quote_order():
    a, b = line(qty=3, vat=2200), line(qty=1, vat=1000)
    priced = domain.price_lines([a, b], [domain.LinePrice(b.line_id, 1005),
                                         domain.LinePrice(a.line_id, 1234)])
    assert [p.line_id for p in priced] == [a.line_id, b.line_id]
    # 3 × 12,34 = 37,02; 22 % = 8,1444 → 8,14
    assert (priced[0].net_cents, priced[0].vat_cents, priced[0].gross_cents) == (3702, 814, 4516)
    # 10,05 at 10 % = 1,005 → half-up 1,01
    assert (priced[1].net_cents, priced[1].vat_cents, priced[1].gross_cents) == (1005, 101, 1106)
    totals = domain.quote_totals(priced, charge_stamp_duty=True)
    assert (totals.net_cents, totals.vat_cents, totals.gross_cents) == (4707, 915, 5622)
    assert totals.stamp_duty_cents == 0 and totals.notes == []


def test_an_exempt_line_carries_no_vat_natura_n4_and_the_note_whatever_the_services_rate():
    course = line(qty=2, vat=2200, name="Corso GDPR", exemption="art10_n20")
    [quoted] = priced((course, 5000))
    assert (quoted.net_cents, quoted.vat_cents, quoted.gross_cents) == (10000, 0, 10000)
    assert quoted.vat_exemption == "art10_n20"
    assert (quoted.treatment.vat_rate_bp, quoted.treatment.vat_nature) == (0, "N4")
    totals = domain.quote_totals([quoted], charge_stamp_duty=True)
    # 100,00 € exempt: above 77,47 €, so the 2,00 € bollo is in the total.
    assert (totals.net_cents, totals.vat_cents, totals.stamp_duty_cents, totals.gross_cents) == (
        10000, 0, 200, 10200)
    assert totals.notes == ["Esente IVA art. 10, n. 20, DPR 633/72"]


def test_a_mixed_quote_sums_vat_by_rate_and_natura_and_the_bollo_counts_only_exempt_amounts():
    course = line(vat=2200, name="Corso", exemption="art10_n20")
    site = line(vat=2200, name="Sito")
    lines = priced((course, 7000), (site, 100000))
    totals = domain.quote_totals(lines, charge_stamp_duty=True)
    assert [(g.vat_rate_bp, g.vat_nature, g.taxable_cents, g.vat_cents)
            for g in totals.vat_groups] == [(0, "N4", 7000, 0), (2200, None, 100000, 22000)]
    # 70,00 € exempt: no bollo, however large the taxed line.
    assert (totals.net_cents, totals.vat_cents, totals.stamp_duty_cents, totals.gross_cents) == (
        107000, 22000, 0, 129000)
    assert totals.notes == ["Esente IVA art. 10, n. 20, DPR 633/72"]


def test_the_bollo_is_due_above_77_47_exempt_not_at_it_and_only_when_charged():
    at = domain.quote_totals(priced((line(exemption="art10_n20"), 7747)), charge_stamp_duty=True)
    assert (at.stamp_duty_cents, at.gross_cents) == (0, 7747)
    above = priced((line(exemption="art10_n20"), 7748))
    assert domain.quote_totals(above, charge_stamp_duty=True).stamp_duty_cents == 200
    assert domain.quote_totals(above, charge_stamp_duty=True).gross_cents == 7948
    # The seller keeps it (SPORTELLO_STAMP_DUTY_CHARGED off): not in the customer's total.
    kept = domain.quote_totals(above, charge_stamp_duty=False)
    assert (kept.stamp_duty_cents, kept.gross_cents) == (0, 7748)


def test_pricing_names_the_missing_unknown_and_repeated_lines():
    a, b, c = line(), line(), line(name="Logo")
    with pytest.raises(ValidationFailed) as e:
        domain.price_lines([a, b, c], [
            domain.LinePrice(a.line_id, 100),
            domain.LinePrice(uuid.uuid4(), 100),
            domain.LinePrice(a.line_id, 200),
        ])
    fields = {err.field: err.message for err in e.value.errors}
    assert set(fields) == {"lines.1.line_id", "lines.2.line_id"}
    # lines.1: the unknown one sent at index 1, and line b (index 1 in the quote) has no price.
    assert len(e.value.errors) == 4
    messages = " ".join(err.message for err in e.value.errors)
    assert "sconosciuta" in messages and "una sola volta" in messages and "«Logo»" in messages


# --- reminders ---------------------------------------------------------------------------------

CLOSED_2026 = {date(2026, 12, 8), date(2026, 12, 25), date(2026, 12, 26)}


def test_expiry_reminder_is_due_within_the_days_before_the_last_valid_day():
    last = date(2026, 12, 10)
    assert not domain.expiry_reminder_due(last, date(2026, 12, 6), 3)
    assert domain.expiry_reminder_due(last, date(2026, 12, 7), 3)
    assert domain.expiry_reminder_due(last, date(2026, 12, 10), 3)
    assert not domain.expiry_reminder_due(last, date(2026, 12, 11), 3)


def test_pricing_reminder_counts_working_days_without_weekends_and_italian_holidays():
    # Friday 4 December → Monday 7 is one working day, Tuesday 8 (Immacolata) none, Wednesday 9 two.
    friday = date(2026, 12, 4)
    assert domain.working_days_between(friday, date(2026, 12, 7), CLOSED_2026) == 1
    assert not domain.pricing_reminder_due(friday, date(2026, 12, 8), 2, CLOSED_2026)
    assert domain.pricing_reminder_due(friday, date(2026, 12, 9), 2, CLOSED_2026)
    # Over Christmas: Thursday 24 → Monday 28 is one working day (25 and 26 closed, then a weekend).
    assert domain.working_days_between(date(2026, 12, 24), date(2026, 12, 28), CLOSED_2026) == 1


def test_a_conversation_closes_with_the_quote():
    for status in (Status.REQUESTED, Status.QUOTED, Status.CHANGES_REQUESTED, Status.ACCEPTED):
        domain.check_open_for_messages("PR-2026-000001", status.value)
    for status in (Status.ORDERED, Status.DECLINED, Status.REJECTED, Status.EXPIRED):
        with pytest.raises(Conflict):
            domain.check_open_for_messages("PR-2026-000001", status.value)


def test_a_staff_line_is_a_catalog_service_with_valid_answers_or_a_described_free_line():
    free = domain.staff_request_line(0, domain.StaffLine(quantity=2, unit_net_cents=5000,
                                                         description="Sopralluogo"), None)
    assert free.service.slug == domain.FREE_LINE_SLUG and free.service.name == "Sopralluogo"
    assert free.vat_rate_bp == 2200 and free.quantity == 2 and free.vat_exemption is None
    with pytest.raises(ValidationFailed) as e:
        domain.staff_request_line(1, domain.StaffLine(quantity=1, unit_net_cents=1), None)
    assert e.value.errors[0].field == "lines.1.description"
    with pytest.raises(ValidationFailed) as e:
        domain.staff_request_line(0, domain.StaffLine(quantity=1, unit_net_cents=1,
                                                      service_slug="sparito"), None)
    assert e.value.errors[0].field == "lines.0.service_slug"


def test_a_staff_line_of_an_exempt_catalog_service_keeps_its_exemption():
    from sportello.contracts.events import CategoryRef, ServiceSnapshot
    from sportello.contracts.forms import FormDefinition

    course = ServiceSnapshot(slug="corso", name="Corso sicurezza", category=CategoryRef(
        slug="formazione", name="Formazione"), pricing_mode="quote", vat_rate_bp=0,
        form=FormDefinition.model_validate({"fields": []}), vat_exemption="art10_n20", version=2)
    staff_line = domain.staff_request_line(0, domain.StaffLine(
        quantity=1, unit_net_cents=9000, service_slug="corso", answers={}), course)
    assert staff_line.vat_exemption == "art10_n20"
    [quoted] = priced((staff_line, 9000))
    assert quoted.treatment.vat_nature == "N4"
    assert domain.quote_totals([quoted], charge_stamp_duty=True).gross_cents == 9200


def test_lines_priced_for_an_eu_business_are_reverse_charged_and_bad_billing_names_its_field():
    from sportello.contracts.billing import Address, Billing

    german = Billing(customer_type="azienda", company_name="Beispiel GmbH",
                     vat_number="DE136695976", email="Einkauf@Beispiel.de",
                     address=Address(street="Friedrichstraße 1", postal_code="10117",
                                     city="Berlin", country="de"))
    checked, errors = domain.checked_billing(german)
    assert errors == [] and checked.address.country == "DE" and checked.email == "einkauf@beispiel.de"
    site = line(vat=2200)
    [quoted] = domain.price_lines([site], [domain.LinePrice(site.line_id, 10000)], checked)
    assert (quoted.vat_cents, quoted.treatment.vat_nature, quoted.treatment.reverse_charge) == (
        0, "N2.1", True)
    assert domain.quote_totals([quoted], charge_stamp_duty=True).notes == [
        "IVA: inversione contabile, art. 7-ter DPR 633/72"]
    assert domain.checked_billing(None) == (None, [])
    _, errors = domain.checked_billing(german.model_copy(update={"vat_number": None}))
    assert [e.field for e in errors] == ["billing.vat_number"]
