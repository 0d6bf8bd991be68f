"""Italian formatting of money, dates and statuses for the templates (Babel, it_IT)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from sportello.contracts.money import vat_cents

LOCALE = "it_IT"
ROME = ZoneInfo("Europe/Rome")

ORDER_STATUS = {
    "awaiting_payment": "In attesa di pagamento",
    "payment_failed": "Pagamento non riuscito",
    "paid": "Pagato",
    "in_progress": "In lavorazione",
    "completed": "Completato",
    "cancelled": "Annullato",
    "refunded": "Rimborsato",
}
QUOTE_STATUS = {
    "requested": "Richiesto",
    "quoted": "Preventivo disponibile",
    "changes_requested": "Modifica richiesta",
    "accepted": "Accettato",
    "ordered": "Ordinato",
    "declined": "Rifiutato da te",
    "rejected": "Non accettato",
    "expired": "Scaduto",
}
PAYMENT_METHOD = {"card": "Carta di pagamento", "bank_transfer": "Bonifico bancario"}


def money(cents: int | None) -> str:
    """1234550 → '12.345,50 €' (exact: cents go through Decimal, never a float)."""
    if cents is None:
        return ""
    return format_currency(Decimal(int(cents)) / 100, "EUR", locale=LOCALE)


def gross(net_cents: int | None, vat_rate_bp: int | None) -> int | None:
    if net_cents is None:
        return None
    return net_cents + vat_cents(net_cents, vat_rate_bp or 0)


def vat_rate(bp: int | None) -> str:
    """2200 → '22 %'."""
    return f"{format_decimal(Decimal(int(bp or 0)) / 100, locale=LOCALE)} %"


def _parse(value) -> datetime | date | None:
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
    d = _parse(value)
    if d is None:
        return str(value or "")
    if isinstance(d, datetime):
        d = d.astimezone(ROME).date() if d.tzinfo else d.date()
    return format_date(d, format="long", locale=LOCALE)


def moment(value) -> str:
    """A time as '24 nov 2026, 14:05' in Rome."""
    d = _parse(value)
    if not isinstance(d, datetime):
        return day(value)
    if d.tzinfo is None:
        d = d.replace(tzinfo=ZoneInfo("UTC"))
    return format_datetime(d, "d MMM y, HH:mm", tzinfo=ROME, locale=LOCALE)


FILTERS = {
    "money": money,
    "gross": gross,
    "vat_rate": vat_rate,
    "day": day,
    "moment": moment,
    "order_status": lambda s: ORDER_STATUS.get(s, s),
    "quote_status": lambda s: QUOTE_STATUS.get(s, s),
    "payment_method": lambda s: PAYMENT_METHOD.get(s, s),
}
