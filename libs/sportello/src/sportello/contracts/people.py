"""What a person's name, a company's name and a password may be: one rule for accounts, billing and
the storefront's hints, so a name refused at registration is refused at checkout too."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # argon2 accepts more, but a megabyte "password" is only a CPU attack

PERSON_NAME_MAX = 100
COMPANY_NAME_MAX = 200

# Letters (accented ones included), joined by spaces, apostrophes, hyphens and dots.
_PERSON = re.compile(r"[^\W\d_]+(?:[ '’ʼ.\-]+[^\W\d_]*)*")
# "evil.example", "www.x.it": two words joined by a dot read as a host name, never as "J.R.R.".
_HOST_LIKE = re.compile(r"[^\W\d_]{2,}\.[^\W\d_]{2,}")

PERSON_NAME_PROBLEM = ("Il nome può contenere solo lettere (anche accentate), spazi, apostrofi, "
                       "trattini e punti.")
COMPANY_NAME_PROBLEM = "La ragione sociale non può contenere caratteri di controllo."


def _text(value: object) -> object:
    # NFC first: "e" + combining accent is the letter "è", as the customer typed it.
    return unicodedata.normalize("NFC", value).strip() if isinstance(value, str) else value


def _has_control(value: str) -> bool:
    """Control, format, private-use and unassigned characters (newlines and NUL included)."""
    return any(unicodedata.category(c).startswith("C") for c in value)


def person_name_problem(value: str) -> str | None:
    if not value:
        return "Campo obbligatorio: non può essere vuoto."
    if len(value) > PERSON_NAME_MAX:
        return f"Può avere al massimo {PERSON_NAME_MAX} caratteri."
    if _has_control(value) or not _PERSON.fullmatch(value) or _HOST_LIKE.search(value):
        return PERSON_NAME_PROBLEM
    return None


def company_name_problem(value: str) -> str | None:
    if not value:
        return "Campo obbligatorio: non può essere vuoto."
    if len(value) > COMPANY_NAME_MAX:
        return f"Può avere al massimo {COMPANY_NAME_MAX} caratteri."
    if _has_control(value):
        return COMPANY_NAME_PROBLEM
    return None


def _checked(problem):
    def check(value: str) -> str:
        message = problem(value)
        if message:
            raise ValueError(message)
        return value
    return check


PersonName = Annotated[str, BeforeValidator(_text), AfterValidator(_checked(person_name_problem))]
CompanyName = Annotated[str, BeforeValidator(_text), AfterValidator(_checked(company_name_problem))]


def _blank_is_none(value: object) -> object:
    # An optional name left empty in a form is a name not given (billing_errors says if needed).
    return None if isinstance(value, str) and not value.strip() else value


OptionalPersonName = Annotated[PersonName | None, BeforeValidator(_blank_is_none)]
OptionalCompanyName = Annotated[CompanyName | None, BeforeValidator(_blank_is_none)]
