"""Dati di Fatturazione: the billing profile / snapshot and its Italian rules (API.md)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field
from stdnum.it import codicefiscale, iva

from sportello.contracts.fields import FieldError
from sportello.contracts.people import OptionalCompanyName, OptionalPersonName

# Sigle of the Italian provinces and metropolitan cities (ISTAT), plus the historic ones that
# still appear on documents.
PROVINCES = frozenset(
    """AG AL AN AO AP AQ AR AT AV BA BG BI BL BN BO BR BS BT BZ CA CB CE CH CL CN CO CR CS CT CZ
    EN FC FE FG FI FM FR GE GO GR IM IS KR LC LE LI LO LT LU MB MC ME MI MN MO MS MT NA NO NU OR
    PA PC PD PE PG PI PN PO PR PT PU PV PZ RA RC RE RG RI RM RN RO SA SI SO SP SR SS SU SV TA TE
    TN TO TP TR TS TV UD VA VB VC VE VI VR VT VV CI VS OG OT""".split()
)
SDI_RE = re.compile(r"^[A-Z0-9]{7}$")
CAP_RE = re.compile(r"^\d{5}$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    street: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(min_length=1, max_length=16)
    city: str = Field(min_length=1, max_length=100)
    province: str | None = Field(default=None, max_length=40)
    country: str = Field(default="IT", min_length=2, max_length=2)


class Billing(BaseModel):
    """Shape only; `billing_errors` holds the rules that depend on several fields."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer_type: Literal["privato", "azienda"]
    first_name: OptionalPersonName = None
    last_name: OptionalPersonName = None
    company_name: OptionalCompanyName = None
    tax_code: str | None = Field(default=None, max_length=32)
    vat_number: str | None = Field(default=None, max_length=32)
    address: Address
    sdi_code: str | None = Field(default=None, max_length=16)
    pec: str | None = Field(default=None, max_length=254)
    email: str = Field(max_length=254)
    phone: str | None = Field(default=None, max_length=32)

    @property
    def display_name(self) -> str:
        if self.customer_type == "azienda" and self.company_name:
            return self.company_name
        return f"{self.first_name or ''} {self.last_name or ''}".strip()


@lru_cache(maxsize=4096)  # a pure check, and one customer's preview and checkout repeat it
def _email_ok(value: str) -> bool:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


# Pure checks of one code each, repeated by a customer's preview and checkout.
_tax_code_ok = lru_cache(maxsize=4096)(codicefiscale.is_valid)
_vat_number_ok = lru_cache(maxsize=4096)(iva.is_valid)


def billing_errors(b: Billing) -> list[FieldError]:
    """Every rule of API.md that the billing data breaks, one error per field, in Italian."""
    errors: list[FieldError] = []

    def err(field: str, message: str) -> None:
        errors.append(FieldError(field=field, message=message))

    def required_and_valid(field: str, value: str | None, valid, missing: str, invalid: str) -> None:
        if not value:
            err(field, missing)
        elif not valid(value):
            err(field, invalid)

    italy = b.address.country.upper() == "IT"
    if not COUNTRY_RE.match(b.address.country.upper()):
        err("address.country", "Indica il paese con il codice ISO di due lettere (es. IT).")
    if b.customer_type == "privato":
        if not b.first_name:
            err("first_name", "Il nome è obbligatorio.")
        if not b.last_name:
            err("last_name", "Il cognome è obbligatorio.")
        if italy:
            required_and_valid("tax_code", b.tax_code, _tax_code_ok,
                               "Il codice fiscale è obbligatorio.", "Il codice fiscale non è valido.")
    else:
        if not b.company_name:
            err("company_name", "La ragione sociale è obbligatoria.")
        if italy:
            required_and_valid("vat_number", b.vat_number, _vat_number_ok,
                               "La partita IVA è obbligatoria.", "La partita IVA non è valida.")
            if b.tax_code and not (_tax_code_ok(b.tax_code) or _vat_number_ok(b.tax_code)):
                err("tax_code", "Il codice fiscale non è valido.")
            sdi = (b.sdi_code or "").upper()
            if sdi and not SDI_RE.match(sdi):
                err("sdi_code", "Il codice destinatario SDI deve avere 7 caratteri (lettere e cifre).")
            elif not b.pec and (not sdi or sdi == "0000000"):
                if sdi == "0000000":
                    err("pec", "Con codice destinatario 0000000 indica la PEC.")
                else:
                    err("sdi_code", "Indica il codice destinatario SDI oppure la PEC.")
        elif not b.vat_number:
            err("vat_number", "Il numero di partita IVA / VAT è obbligatorio.")
    if b.pec and not _email_ok(b.pec):
        err("pec", "L'indirizzo PEC non è valido.")
    if not _email_ok(b.email):
        err("email", "L'indirizzo email non è valido.")
    if b.phone and not re.match(r"^\+?[0-9 ./-]{6,20}$", b.phone):
        err("phone", "Il numero di telefono non è valido.")
    if italy:
        if not CAP_RE.match(b.address.postal_code):
            err("address.postal_code", "Il CAP deve essere di 5 cifre.")
        if not b.address.province:
            err("address.province", "La provincia è obbligatoria.")
        elif b.address.province.upper() not in PROVINCES:
            err("address.province", "Indica la sigla di una provincia italiana (es. MI).")
    return errors


def normalised(b: Billing) -> Billing:
    """The billing data as kept: codes upper-case and compact; foreign fields as given."""
    # Copies with the changed fields only: every value below stays within the checked shape.
    country = b.address.country.upper()
    italy = country == "IT"
    address = {"country": country}
    if b.address.province and italy:
        address["province"] = b.address.province.upper()
    changed = {"address": b.address.model_copy(update=address), "email": b.email.lower()}
    if b.tax_code:
        changed["tax_code"] = codicefiscale.compact(b.tax_code) if italy else b.tax_code
    if b.vat_number and italy:
        changed["vat_number"] = iva.compact(b.vat_number)
    if b.sdi_code:
        changed["sdi_code"] = b.sdi_code.upper()
    if b.pec:
        changed["pec"] = b.pec.lower()
    return b.model_copy(update=changed)
