"""Settings of the invoicing service only: the seller as the invoice names it (Cedente/Prestatore)
and whether the stamp duty is charged to the customer. Demo values pass FatturaPA validation.

They extend the shared `Settings` (same `SPORTELLO_*` environment); name, VAT number, address,
email and IBAN are the shared `business_*` / `bank_iban` settings that the other documents use too.
"""

from __future__ import annotations

from sportello.settings import Settings

from sportello_invoicing.domain import Seller


class InvoicingSettings(Settings):
    seller_tax_code: str = "01234560157"
    # RF01: regime ordinario.
    seller_regime: str = "RF01"
    seller_rea_office: str = "MI"
    seller_rea_number: str = "1234567"
    seller_phone: str | None = None


def invoicing_settings(settings: Settings | None = None) -> InvoicingSettings:
    if isinstance(settings, InvoicingSettings):
        return settings
    return InvoicingSettings(**(settings.model_dump() if settings is not None else {}))


def seller(s: InvoicingSettings) -> Seller:
    return Seller(name=s.business_name, vat_number=s.business_vat_number, tax_code=s.seller_tax_code,
                  regime=s.seller_regime, street=s.business_street,
                  postal_code=s.business_postal_code, city=s.business_city,
                  province=s.business_province, rea_office=s.seller_rea_office,
                  rea_number=s.seller_rea_number, email=s.business_email, phone=s.seller_phone,
                  iban=s.bank_iban)
