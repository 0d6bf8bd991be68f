"""The pure rules: retries, Message-IDs, Italian formats, which emails an event means."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import aiosmtplib
import notifications_samples as samples
import pytest
from sportello.errors import Conflict
from sportello.settings import Settings
from sportello_notifications import drafts
from sportello_notifications.domain import Status, after_attempt, check_transition, message_id
from sportello_notifications.emails import aliquota, data, data_ora, eur
from sportello_notifications.sender import is_permanent

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DELAYS = [5, 30, 120]


def test_a_sent_attempt_is_final():
    assert after_attempt(0, None, False, DELAYS, NOW).status == Status.SENT


def test_a_temporary_failure_waits_the_next_delay_then_fails_after_the_last_attempt():
    first = after_attempt(0, "451 busy", False, DELAYS, NOW)
    assert first.status == Status.PENDING and first.next_attempt_at == NOW + timedelta(seconds=5)
    third = after_attempt(2, "451 busy", False, DELAYS, NOW)
    assert third.next_attempt_at == NOW + timedelta(seconds=120)
    last = after_attempt(3, "451 busy", False, DELAYS, NOW)  # the 4th attempt: len(delays) + 1
    assert last.status == Status.FAILED and last.error == "451 busy"


def test_a_permanent_refusal_fails_at_once():
    assert after_attempt(0, "550 no such user", True, DELAYS, NOW).status == Status.FAILED


def test_sent_and_failed_are_final_states():
    with pytest.raises(Conflict):
        check_transition("sent", Status.PENDING)
    with pytest.raises(Conflict):
        check_transition("failed", Status.SENT)


def test_message_id_is_the_same_for_the_same_email_and_differs_otherwise():
    a = message_id("e1:ordine_confermato:a@x.it", "Sportello <noreply@sportello.example>")
    assert a == message_id("e1:ordine_confermato:a@x.it", "noreply@sportello.example")
    assert a.startswith("<") and a.endswith("@sportello.example>")
    assert a != message_id("e1:staff_ordine_pagato:a@x.it", "noreply@sportello.example")


def test_money_dates_and_rates_in_italian():
    assert eur(123450) == "1.234,50 €"
    assert eur(5) == "0,05 €"
    assert data(date(2026, 11, 24)) == "24 novembre 2026"
    # 23:30 UTC on the 24th is already the 25th in Rome.
    assert data(datetime(2026, 11, 24, 23, 30, tzinfo=UTC)) == "25 novembre 2026"
    assert data_ora(datetime(2026, 7, 1, 8, 5, tzinfo=UTC)) == "1 luglio 2026 alle 10:05"
    assert aliquota(2200) == "22%" and aliquota(450) == "4,5%"


def test_smtp_errors_5xx_for_the_recipient_are_permanent_others_are_retried():
    refused = aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "no", "a@x")])
    busy = aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(451, "busy", "a@x")])
    assert is_permanent(refused) and not is_permanent(busy)
    assert not is_permanent(aiosmtplib.SMTPConnectError("refused"))
    assert not is_permanent(aiosmtplib.SMTPAuthenticationError(535, "bad credentials"))
    assert is_permanent(aiosmtplib.SMTPDataError(554, "rejected"))


def test_order_placed_alerts_staff_only_for_a_bank_transfer():
    s = Settings(staff_email="ufficio@example.it")
    assert [d.template for d in drafts.order_placed(samples.order_placed(), s)] == ["ordine_ricevuto"]
    bank = drafts.order_placed(samples.order_placed(bank_transfer=True), s)
    assert [(d.template, d.recipient) for d in bank][1] == ("staff_bonifico_da_confermare",
                                                            "ufficio@example.it")


def test_a_cancellation_is_one_email_whichever_event_announces_it():
    s = Settings()
    placed = samples.order_placed()
    [by_cancel] = drafts.order_cancelled(samples.order_cancelled(placed), s)
    [by_status] = drafts.order_status_changed(
        samples.order_status_changed(placed, status="cancelled"), s)
    assert by_cancel.key(uuid.uuid4()) == by_status.key(uuid.uuid4())
    assert drafts.order_status_changed(samples.order_status_changed(placed, status="paid"), s) == []


def test_links_come_from_the_storefront_setting():
    s = Settings(storefront_url="https://shop.example.it/")
    quote = samples.quote_issued()
    [d] = drafts.quote_issued(quote, s)
    assert d.context["quote_url"] == f"https://shop.example.it/account/preventivi/{quote.quote_id}"
