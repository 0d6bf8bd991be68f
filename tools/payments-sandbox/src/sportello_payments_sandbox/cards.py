"""The test cards of the sandbox and the checks of the card form (never stored, never sent on)."""

from __future__ import annotations

import re
from datetime import date

# Test card → what happens (like the providers' own test cards).
SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
NEEDS_CONFIRMATION = "4000000000003220"
TEST_CARDS = {
    SUCCEEDS: "Pagamento riuscito",
    DECLINED: "Carta rifiutata",
    NEEDS_CONFIRMATION: "Richiede conferma (3D Secure)",
}


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def form_errors(number: str, expiry: str, cvc: str, holder: str,
                today: date | None = None) -> dict[str, str]:
    """field → Italian message for each problem of the card form."""
    errors: dict[str, str] = {}
    digits = re.sub(r"[\s-]", "", number or "")
    if not re.fullmatch(r"\d{12,19}", digits) or not luhn_ok(digits):
        errors["card_number"] = "Numero di carta non valido."
    elif digits not in TEST_CARDS:
        errors["card_number"] = "Nella sandbox usa una delle carte di prova indicate."
    m = re.fullmatch(r"\s*(\d{2})\s*/\s*(\d{2})\s*", expiry or "")
    today = today or date.today()
    if not m or not 1 <= int(m.group(1)) <= 12:
        errors["expiry"] = "Scadenza non valida (MM/AA)."
    elif (2000 + int(m.group(2)), int(m.group(1))) < (today.year, today.month):
        errors["expiry"] = "La carta è scaduta."
    if not re.fullmatch(r"\d{3,4}", (cvc or "").strip()):
        errors["cvc"] = "Il codice di sicurezza (CVC) ha 3 o 4 cifre."
    if not (holder or "").strip():
        errors["holder"] = "Indica il titolare della carta."
    return errors


def normalised(number: str) -> str:
    return re.sub(r"[\s-]", "", number or "")
