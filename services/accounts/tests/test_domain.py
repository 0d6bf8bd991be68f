"""The rules of accounts without a database: emails, passwords, refresh states, consents, windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sportello.errors import ValidationFailed
from sportello_accounts import domain
from sportello_accounts.domain import RefreshOutcome, RefreshState

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_emails_are_stored_lower_case_and_trimmed():
    assert domain.normalise_email("  Mario.Rossi@Example.COM ") == "mario.rossi@example.com"


@pytest.mark.parametrize("bad", ["", "mario", "mario@", "@example.com", "mario rossi@example.com"])
def test_malformed_emails_name_the_field(bad):
    with pytest.raises(ValidationFailed) as e:
        domain.normalise_email(bad)
    assert e.value.errors[0].field == "email"


@pytest.mark.parametrize("password", [
    "corta1", "123456789", "1234567890", "Password123", "qwertyuiop", "aaaaaaaaaaaa",
    "abababababab", "abcdefghijkl", "9876543210", "JUVENTUS1897",
])
def test_short_common_and_predictable_passwords_are_refused(password):
    assert domain.password_problem(password) is not None


def test_the_email_itself_is_not_a_password():
    assert domain.password_problem("mario.rossi.1@example.com", "mario.rossi.1@example.com")


@pytest.mark.parametrize("password", ["una-password-robusta-1", "Tramonto sul Po 2026", "x7#Lq9!vRm2p"])
def test_reasonable_passwords_pass(password):
    assert domain.password_problem(password) is None


def test_secrets_are_unguessable_and_only_their_hash_is_kept():
    a, b = domain.new_secret(), domain.new_secret()
    assert a != b and len(a) >= 43
    assert domain.secret_hash(a) == domain.secret_hash(a) != domain.secret_hash(b)
    assert a not in domain.secret_hash(a)


def test_refresh_outcomes():
    later = NOW + timedelta(days=1)
    assert domain.refresh_outcome(None, NOW) is RefreshOutcome.INVALID
    assert domain.refresh_outcome(RefreshState(None, None, later), NOW) is RefreshOutcome.ROTATE
    assert domain.refresh_outcome(RefreshState(NOW, None, later), NOW) is RefreshOutcome.REUSED
    assert domain.refresh_outcome(RefreshState(None, NOW, later), NOW) is RefreshOutcome.INVALID
    # A spent token of a family already revoked: nothing more to revoke.
    assert domain.refresh_outcome(RefreshState(NOW, NOW, later), NOW) is RefreshOutcome.INVALID
    assert domain.refresh_outcome(RefreshState(None, None, NOW), NOW) is RefreshOutcome.INVALID


def test_consent_changes_record_only_what_changed():
    same = domain.consent_changes(marketing_now=True, marketing_wanted=True, accepted_version="v1",
                                  current_version="v1", accept_current=True)
    assert same == []
    changes = domain.consent_changes(marketing_now=True, marketing_wanted=False,
                                     accepted_version="v1", current_version="v2",
                                     accept_current=True)
    assert changes == [(domain.Consent.PRIVACY_POLICY, True, "v2"),
                       (domain.Consent.MARKETING, False, "v2")]


def test_rate_windows_and_retry_after():
    bucket, retry = domain.rate_bucket(1000.0, 900)
    assert bucket == 1 and retry == 801
    assert domain.rate_bucket(1799.5, 900) == (1, 1)
    assert domain.rate_key("login-email", "a@b.it") != domain.rate_key("login-email", "c@b.it")
    assert "a@b.it" not in domain.rate_key("login-email", "a@b.it")
