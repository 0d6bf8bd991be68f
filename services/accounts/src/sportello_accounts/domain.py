"""The rules of accounts, without I/O: emails, password policy, secrets, consents, refresh states."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from importlib.resources import files

from email_validator import EmailNotValidError, validate_email
from sportello.contracts.fields import FieldError

# The one password rule, in the contracts: the storefront shows the same numbers as its hints.
from sportello.contracts.people import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from sportello.errors import ValidationFailed


class Role(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"


# --- email -------------------------------------------------------------------------------------


def normalise_email(value: str, field: str = "email") -> str:
    """The one form an address is stored and compared in: validated, lower-case.

    Lower-casing the local part too is what "unique case-insensitively" asks; no real mailbox
    provider distinguishes Mario@ from mario@.
    """
    try:
        # test_environment lets the reserved `.test` domain through (tests, demo staff user).
        info = validate_email(value.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError as e:
        raise ValidationFailed([FieldError(field=field, message="Indirizzo email non valido.")]) from e
    return info.normalized.lower()


def deleted_email(account_id: uuid.UUID) -> str:
    """What replaces the address of an erased account: unique, undeliverable, not personal."""
    return f"{account_id}@deleted.invalid"


# --- passwords ---------------------------------------------------------------------------------


@lru_cache
def common_passwords() -> frozenset[str]:
    text = files("sportello_accounts").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why `password` may not be used (Italian), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"La password deve avere almeno {MIN_PASSWORD_LENGTH} caratteri."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"La password può avere al massimo {MAX_PASSWORD_LENGTH} caratteri."
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        return "Questa password è troppo comune: scegline una meno prevedibile."
    if _is_run(lowered):
        return "Questa password è una sequenza troppo prevedibile: scegline un'altra."
    if email and lowered in (email.lower(), email.split("@")[0].lower()):
        return "La password non può essere uguale al tuo indirizzo email."
    return None


def _is_run(s: str) -> bool:
    """"1234567890", "abcdefghij", "9876543210": every step the same +1 or -1."""
    steps = {ord(b) - ord(a) for a, b in zip(s, s[1:], strict=False)}
    return steps in ({1}, {-1})


def check_password(password: str, field: str = "password", email: str | None = None) -> None:
    problem = password_problem(password, email)
    if problem:
        raise ValidationFailed([FieldError(field=field, message=problem)])


# --- secrets (refresh and reset tokens) --------------------------------------------------------


def new_secret() -> str:
    """An opaque, unguessable token (256 bits) for a refresh token or a reset link."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """Only this is stored: a database leak gives no usable token. SHA-256 suffices because the
    secret itself has 256 bits of entropy (no dictionary to attack, unlike a password)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


# --- refresh tokens ----------------------------------------------------------------------------


class RefreshOutcome(StrEnum):
    ROTATE = "rotate"            # valid: spend it and issue the next of its family
    REUSED = "reused"            # already spent: someone replayed it, revoke the whole family
    INVALID = "invalid"          # unknown, expired or revoked


@dataclass(frozen=True)
class RefreshState:
    spent_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime


def refresh_outcome(state: RefreshState | None, now: datetime) -> RefreshOutcome:
    if state is None or state.revoked_at is not None:
        return RefreshOutcome.INVALID
    if state.spent_at is not None:
        return RefreshOutcome.REUSED
    if state.expires_at <= now:
        return RefreshOutcome.INVALID
    return RefreshOutcome.ROTATE


# --- consents ----------------------------------------------------------------------------------


def marketing_counts(account) -> bool:
    """A marketing consent counts only for an address its owner confirmed (GDPR art. 7: proof
    that the person at that address agreed)."""
    return bool(account.marketing_consent and account.email_confirmed_at is not None)


class Consent(StrEnum):
    PRIVACY_POLICY = "privacy_policy"  # the notice was read and accepted (required)
    MARKETING = "marketing"            # optional: promotional email


def consent_changes(
    *, marketing_now: bool, marketing_wanted: bool | None, accepted_version: str | None,
    current_version: str, accept_current: bool,
) -> list[tuple[Consent, bool, str | None]]:
    """The history entries a privacy update adds: (consent, granted, policy version)."""
    changes: list[tuple[Consent, bool, str | None]] = []
    if accept_current and accepted_version != current_version:
        changes.append((Consent.PRIVACY_POLICY, True, current_version))
    if marketing_wanted is not None and marketing_wanted != marketing_now:
        changes.append((Consent.MARKETING, marketing_wanted, current_version))
    return changes


# --- rate limits -------------------------------------------------------------------------------


def rate_bucket(now_epoch: float, window_seconds: int) -> tuple[int, int]:
    """The fixed window `now` falls in, and the seconds until it ends (for Retry-After)."""
    bucket = int(now_epoch // window_seconds)
    retry_after = max(1, int((bucket + 1) * window_seconds - now_epoch) + 1)
    return bucket, retry_after


def rate_key(kind: str, subject: str) -> str:
    """Counters are keyed by a hash: the table holds no email or address in clear."""
    return f"{kind}:{hashlib.sha256(subject.encode()).hexdigest()[:32]}"
