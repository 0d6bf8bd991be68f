"""Settings of the accounts service only: password hashing, privacy notice, limits, reset TTL.

They extend the shared `Settings` (same `SPORTELLO_*` environment), so one object configures the
whole process; `accounts_settings()` upgrades a plain `Settings` (as tests and `sportello serve`
pass) into this class without losing anything set on it.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from sportello.settings import Settings


class AccountsSettings(Settings):
    # argon2id cost (RFC 9106 "second recommended option" is t=3, m=64 MiB, p=4): tests lower it
    # for speed; raising it rehashes each password at its next successful login.
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 4

    # The privacy notice a customer accepts at registration; a new version asks again.
    privacy_policy_version: str = "2026-01"

    # Rate limits: at most N failed logins per email and per client address in each window;
    # at most N password-reset requests (each sends an email) per email and per address.
    rate_window_seconds: int = 900
    login_failures_per_email: int = 5
    login_failures_per_address: int = 30
    resets_per_email: int = 3
    resets_per_address: int = 20

    password_reset_minutes: int = 60


def accounts_settings(settings: Settings) -> AccountsSettings:
    if isinstance(settings, AccountsSettings):
        return settings
    # Explicit values win over the environment, so nothing set on `settings` is lost.
    return AccountsSettings(**settings.model_dump())


@lru_cache
def get_accounts_settings() -> AccountsSettings:
    return AccountsSettings()
