"""The VIES adapter: asks the EU's VIES service whether an EU business's VAT number exists.

The tax treatment rests on the number's form (`stdnum.eu.vat`); VIES only adds a record on the
order and the invoice, so an unreachable VIES ("not_verified") never blocks a sale.
"""

from __future__ import annotations

import httpx
import structlog

from sportello.contracts.billing import Billing
from sportello.contracts.tax import VatNumberCheck, is_eu_business
from sportello.settings import Settings

log = structlog.get_logger()
# A checkout waits at most this long for VIES (seconds).
TIMEOUT = 3.0


def _split(billing: Billing) -> tuple[str, str]:
    country = billing.address.country.upper()
    prefix = "EL" if country == "GR" else country
    number = (billing.vat_number or "").upper().replace(" ", "")
    return prefix, number.removeprefix(prefix)


async def check(settings: Settings, billing: Billing) -> VatNumberCheck | None:
    """None for anyone but an EU business with a number valid in form; else VIES's answer, or
    "not_verified" when VIES is not configured or does not answer."""
    if not is_eu_business(billing):
        return None
    if not settings.vies_url:
        return "not_verified"
    country, number = _split(billing)
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            answer = await client.post(settings.vies_url,
                                       json={"countryCode": country, "vatNumber": number})
            answer.raise_for_status()
            valid = answer.json().get("valid")
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("vies_unreachable", country=country, error=str(exc))
        return "not_verified"
    if valid is True:
        return "verified"
    return "invalid" if valid is False else "not_verified"
