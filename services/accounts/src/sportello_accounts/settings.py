"""Settings of the accounts service only: password hashing, privacy notice, limits, reset TTL.

They extend the shared `Settings` (same `SPORTELLO_*` environment), so one object configures the
whole process; `accounts_settings()` upgrades a plain `Settings` (as tests and `sportello serve`
pass) into this class without losing anything set on it.
"""

from __future__ import annotations

from functools import lru_cache

from sportello.settings import Settings


class AccountsSettings(Settings):
    # argon2id cost (RFC 9106 "second recommended option" is t=3, m=64 MiB, p=4): tests lower it
    # for speed; raising it rehashes each password at its next successful login.
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 4

    # The privacy notice a customer accepts at registration; a new version asks again.
    privacy_policy_version: str = "2026-01"

    # Rate limits (OWASP ASVS 2.2.1: stop guessing, never lock the owner out), per window:
    # - one source (client address) may fail 5 logins for one email, then that source is refused
    #   for the window; the owner elsewhere is not;
    # - one source may fail 30 logins over all emails (credential stuffing);
    # - over all sources, 25 failures per email (100 an hour at most, ASVS's ceiling): past it only
    #   a known source (an address the account logged in from in `known_source_days`) may try.
    rate_window_seconds: int = 900
    login_failures_per_email_and_address: int = 5
    login_failures_per_address: int = 30
    login_failures_per_email: int = 25
    known_source_days: int = 90
    # Reset requests (each sends an email): 3 per email from one source (then 429 to that
    # source), 20 per source; over all sources 5 emails per address and window, later requests
    # answer the same 202 but send nothing, as the links already sent still work.
    resets_per_email_and_address: int = 3
    resets_per_address: int = 20
    reset_emails_per_email: int = 5
    # Wrong current passwords (change password or email, delete account) per account.
    reauth_failures_per_account: int = 5

    password_reset_minutes: int = 60
    # How long the link that confirms an address (registration, a new email) works.
    email_confirm_hours: int = 48


def accounts_settings(settings: Settings) -> AccountsSettings:
    if isinstance(settings, AccountsSettings):
        return settings
    # Explicit values win over the environment, so nothing set on `settings` is lost.
    return AccountsSettings(**settings.model_dump())


@lru_cache
def get_accounts_settings() -> AccountsSettings:
    return AccountsSettings()
