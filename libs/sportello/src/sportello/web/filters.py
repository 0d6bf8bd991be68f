"""Italian formatting of money, dates and quote statuses for the templates (Babel, it_IT); an
order's status comes labelled from orders (`status_label`)."""

from __future__ import annotations

from sportello.contracts.money import vat_cents
from sportello.formatting import day, eur, moment, rate

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
    """1234550 → '12.345,50 €'."""
    return "" if cents is None else eur(cents)


def gross(net_cents: int | None, vat_rate_bp: int | None) -> int | None:
    if net_cents is None:
        return None
    return net_cents + vat_cents(net_cents, vat_rate_bp or 0)


def vat_rate(bp: int | None) -> str:
    """2200 → '22 %'."""
    return f"{rate(bp)} %"


def file_size(size_bytes: int | None) -> str:
    """A file's size as people read it: "820 KB", "12,4 MB"."""
    size = size_bytes or 0
    if size < 1_048_576:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1_048_576:.1f} MB".replace(".", ",")


FILTERS = {
    "dimensione": file_size,
    "money": money,
    "gross": gross,
    "vat_rate": vat_rate,
    "day": day,
    "moment": moment,
    "quote_status": lambda s: QUOTE_STATUS.get(s, s),
    "payment_method": lambda s: PAYMENT_METHOD.get(s, s),
}
