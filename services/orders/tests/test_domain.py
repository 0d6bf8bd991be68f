"""The rules without I/O: the state machine table, payment outcomes, numbering, signatures."""

from __future__ import annotations

import time
from datetime import date
from types import SimpleNamespace

import pytest
from sportello.errors import Conflict
from sportello_orders import domain
from sportello_orders.domain import Actor, PaymentStatus, Status, decide_outcome
from sportello_orders.providers import InvalidWebhook, sandbox
from sportello_orders.providers.stripe_checkout import outcome_of
from sportello_payments_sandbox import cards
from sportello_payments_sandbox.signing import sign

LEGAL = {
    ("awaiting_payment", "paid"), ("awaiting_payment", "payment_failed"),
    ("awaiting_payment", "cancelled"), ("payment_failed", "paid"),
    ("payment_failed", "cancelled"), ("paid", "in_progress"), ("paid", "refunded"),
    ("in_progress", "completed"), ("in_progress", "refunded"),
    # A consumer's withdrawal (Codice del Consumo art. 52), then staff's refund.
    ("paid", "withdrawal_requested"), ("in_progress", "withdrawal_requested"),
    ("completed", "withdrawal_requested"), ("withdrawal_requested", "refunded"),
}


@pytest.mark.parametrize("frm", list(Status))
@pytest.mark.parametrize("to", list(Status))
def test_the_table_is_the_state_machine_of_architecture(frm, to):
    order = SimpleNamespace(status=frm.value)
    if (frm.value, to.value) in LEGAL:
        move = domain.transition(order, to, Actor.STAFF, "nota")
        assert order.status == to.value and move.from_status == frm and move.note == "nota"
    else:
        with pytest.raises(Conflict):
            domain.transition(order, to, Actor.STAFF)
        assert order.status == frm.value


def test_a_success_pays_an_unpaid_order_once():
    d = decide_outcome("awaiting_payment", "pending", True, "succeeded", 100, 100)
    assert (d.payment_status, d.order_status) == (PaymentStatus.SUCCEEDED, Status.PAID)
    d = decide_outcome("payment_failed", "pending", True, "succeeded", 100, 100)
    assert d.order_status == Status.PAID
    d = decide_outcome("paid", "succeeded", True, "succeeded", 100, 100)
    assert d.order_status is None and d.payment_status is None


def test_outcomes_never_move_backwards():
    # A failure of an attempt that already succeeded.
    assert decide_outcome("paid", "succeeded", True, "failed", None, 100).order_status is None
    # A late failure of an older attempt while the customer retries.
    d = decide_outcome("awaiting_payment", "pending", False, "failed", None, 100)
    assert d.order_status is None and d.payment_status == PaymentStatus.FAILED
    # A failure after the order was paid by another attempt.
    assert decide_outcome("paid", "pending", False, "failed", None, 100).order_status is None
    # A retry that fails again keeps payment_failed and tells the customer.
    d = decide_outcome("payment_failed", "pending", True, "failed", None, 100)
    assert d.order_status is None and d.announce_failure


def test_wrong_amount_or_unpayable_order_is_not_paid():
    assert decide_outcome("awaiting_payment", "pending", True, "succeeded", 99, 100).reason \
        == "amount_mismatch"
    # A success that does not say how much was taken proves nothing.
    d = decide_outcome("awaiting_payment", "pending", True, "succeeded", None, 100)
    assert d.order_status is None and d.reason == "amount_mismatch"
    d = decide_outcome("cancelled", "pending", True, "succeeded", 100, 100)
    assert d.order_status is None and d.reason == "order_not_payable"


def test_sandbox_signature_is_checked_with_a_five_minute_tolerance():
    body = b'{"id":"evt_1"}'
    now = int(time.time())
    sandbox.verify("s3cret", sign("s3cret", body, now - 299), body)
    for header in [sign("other", body, now), sign("s3cret", body, now - 301),
                   sign("s3cret", body, now + 301), "t=abc,v1=00", "", None]:
        with pytest.raises(InvalidWebhook):
            sandbox.verify("s3cret", header, body)
    with pytest.raises(InvalidWebhook):
        sandbox.verify("s3cret", sign("s3cret", body, now), body + b" ")


def test_stripe_events_that_settle_a_checkout_session():
    assert outcome_of("checkout.session.completed", "paid") == "succeeded"
    assert outcome_of("checkout.session.completed", "unpaid") is None
    assert outcome_of("checkout.session.async_payment_succeeded", None) == "succeeded"
    assert outcome_of("checkout.session.async_payment_failed", None) == "failed"
    assert outcome_of("checkout.session.expired", None) == "failed"
    assert outcome_of("payment_intent.created", None) is None


def test_sandbox_card_form_rules():
    today = date(2026, 11, 25)
    assert cards.form_errors("4242 4242 4242 4242", "11/26", "123", "Mario", today) == {}
    errors = cards.form_errors("4242 4242 4242 4241", "10/26", "12", " ", today)
    assert set(errors) == {"card_number", "expiry", "cvc", "holder"}
    assert "carte di prova" in cards.form_errors("5555555555554444", "12/30", "123", "M",
                                                 today)["card_number"]


def test_auto_cancel_note_speaks_in_days_or_hours():
    assert domain.auto_cancel_note("card", 24, 168).endswith("entro 24 ore.")
    assert domain.auto_cancel_note("bank_transfer", 24, 168).endswith("entro 7 giorni.")
