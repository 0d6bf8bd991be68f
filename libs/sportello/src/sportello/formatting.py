"""Italian formatting of money, rates and dates (Babel, it_IT, Rome time), the same for the web
pages and the emails; each keeps only its own choice of pattern and spacing. And the way back:
an amount as an Italian types it, to cents."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

LOCALE = "it_IT"
ROME = ZoneInfo("Europe/Rome")


# Babel re-reads the locale's pattern on every call, the dearest step of pricing a cart line;
# amounts and rates repeat, so each is formatted once per process.
@lru_cache(maxsize=8192)
def eur(cents: int) -> str:
    """1234550 → '12.345,50 €' (exact: cents go through Decimal, never a float)."""
    return format_currency(Decimal(int(cents)) / 100, "EUR", locale=LOCALE)


@lru_cache(maxsize=1024)
def rate(bp: int | None) -> str:
    """Basis points as an Italian number: 2200 → '22'; 450 → '4,5'."""
    return format_decimal(Decimal(int(bp or 0)) / 100, locale=LOCALE)


def parse_time(value) -> datetime | date | None:
    """A date, a time, or their ISO text (as JSON brings them); None when it is neither."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value
    text = str(value)
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def day(value) -> str:
    """A date (or the day of a time, in Rome) as '24 novembre 2026'."""
    d = parse_time(value)
    if d is None:
        return str(value or "")
    if isinstance(d, datetime):
        d = d.astimezone(ROME).date() if d.tzinfo else d.date()
    return format_date(d, format="long", locale=LOCALE)


def moment(value, pattern: str = "d MMM y, HH:mm") -> str:
    """A time in Rome, by default as '24 nov 2026, 14:05' (a naive time is taken as UTC)."""
    d = parse_time(value)
    if not isinstance(d, datetime):
        return day(value)
    if d.tzinfo is None:
        d = d.replace(tzinfo=ZoneInfo("UTC"))
    return format_datetime(d, pattern, tzinfo=ROME, locale=LOCALE)


# --- documents: the emails and the PDFs ------------------------------------------------------


def plain_eur(cents: int) -> str:
    """1.234,50 € — with a plain space, so the amount reads (and is searched) as written."""
    return eur(cents).replace("\xa0", " ")


def long_moment(value) -> str:
    """24 novembre 2026 alle 14:05, Italian time."""
    return moment(value, "d MMMM y 'alle' HH:mm")


def percent(vat_rate_bp: int) -> str:
    """2200 → 22%; 450 → 4,5%."""
    return rate(vat_rate_bp) + "%"


# The Jinja2 filters of every document template, emails and PDFs alike.
DOCUMENT_FILTERS = {"eur": plain_eur, "data": day, "data_ora": long_moment, "aliquota": percent}


def cents_from_euro(text: str | None) -> int | None:
    """'1.500' or '1500,50 €' (as Italians write amounts) → cents; '' → None; ValueError else."""
    raw = (text or "").replace("€", "").replace(" ", "").strip()
    if not raw:
        return None
    whole, _, decimals = raw.replace(".", "").partition(",")
    if not whole.isdigit() or (decimals and (not decimals.isdigit() or len(decimals) > 2)):
        raise ValueError(raw)
    return int(whole) * 100 + int(decimals.ljust(2, "0") or 0)
