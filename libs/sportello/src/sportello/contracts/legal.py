"""The conditions of sale in force and the consumer's withdrawal period: one place for both.

The text of each version is the storefront's template `condizioni/<version>.html`; a new
version is a new template and a new TERMS_VERSION here (checkouts then require it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# The version a checkout must accept; older ones stay readable at their own address.
TERMS_VERSION = "2026-12-01"
TERMS_PUBLISHED_AT = datetime(2026, 12, 1, tzinfo=UTC)
TERMS_PATH = "/condizioni-di-vendita"

# Art. 52 c. 1-2 lett. a) Codice del Consumo: fourteen days from the conclusion of a service contract.
WITHDRAWAL_DAYS = 14


def terms_url(storefront_url: str, version: str = TERMS_VERSION) -> str:
    return f"{storefront_url.rstrip('/')}{TERMS_PATH}/{version}"


def withdrawal_deadline(concluded_at: datetime) -> datetime:
    """The last moment a consumer may withdraw from a contract concluded at `concluded_at`."""
    return concluded_at + timedelta(days=WITHDRAWAL_DAYS)
