"""Italian money, dates and VAT rates as customers read them (pages, emails, PDFs)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

LOCALE = "it_IT"
ROME = ZoneInfo("Europe/Rome")


def eur(cents: int) -> str:
    """1.234,50 € — with a plain space, so the amount reads (and is searched) as written."""
    return format_currency(Decimal(cents) / 100, "EUR", locale=LOCALE).replace("\xa0", " ")


def data(value: date | datetime | str) -> str:
    """24 novembre 2026 (a datetime is first moved to Italian time)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(ROME).date()
    return format_date(value, "d MMMM y", locale=LOCALE)


def data_ora(value: datetime | str) -> str:
    """24 novembre 2026 alle 14:05, Italian time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(value, "d MMMM y 'alle' HH:mm", tzinfo=ROME, locale=LOCALE)


def aliquota(vat_rate_bp: int) -> str:
    """2200 → 22%; 450 → 4,5%."""
    return format_decimal(Decimal(vat_rate_bp) / 100, locale=LOCALE) + "%"


FILTERS = {"eur": eur, "data": data, "data_ora": data_ora, "aliquota": aliquota}
