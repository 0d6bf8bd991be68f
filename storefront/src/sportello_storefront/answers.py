"""Between HTML forms and API bodies: service answers and billing data, and back for refilling."""

from __future__ import annotations

from typing import Any

# The service form's inputs are shared with the back office's preview.
from sportello.web.answers import ANSWER_PREFIX, answers_from_form

__all__ = ["ANSWER_PREFIX", "answers_from_form"]


BILLING_TEXT_FIELDS = ("first_name", "last_name", "company_name", "tax_code", "vat_number",
                       "sdi_code", "pec", "email", "phone")
ADDRESS_FIELDS = ("street", "postal_code", "city", "province", "country")


def form_values_from_answers(answers: dict[str, Any] | None) -> dict[str, Any]:
    """A cart line's answers → the values of the service form, to correct them."""
    out: dict[str, Any] = {}
    for name, value in (answers or {}).items():
        if isinstance(value, bool):
            out[f"{ANSWER_PREFIX}{name}"] = "on" if value else ""
        else:
            out[f"{ANSWER_PREFIX}{name}"] = "" if value is None else str(value)
    return out


def billing_from_form(data: dict[str, Any]) -> dict[str, Any]:
    """The Dati di Fatturazione form → the billing body of API.md (blank optional fields → null)."""

    def value(name: str) -> str | None:
        v = str(data.get(name, "")).strip()
        return v or None

    body: dict[str, Any] = {"customer_type": value("customer_type") or "privato"}
    for name in BILLING_TEXT_FIELDS:
        body[name] = value(name)
    body["email"] = body["email"] or ""
    body["address"] = {f: value(f"address.{f}") or "" for f in ADDRESS_FIELDS}
    body["address"]["country"] = (body["address"]["country"] or "IT").upper()
    body["address"]["province"] = body["address"]["province"] or None
    # A private customer has no company fields and vice versa: don't send stale ones.
    if body["customer_type"] == "privato":
        body["company_name"] = body["vat_number"] = body["sdi_code"] = body["pec"] = None
    return body


def form_values_from_billing(billing: dict[str, Any] | None) -> dict[str, Any]:
    """A billing profile → the values of the form (flat names, `address.<field>`)."""
    if not billing:
        return {"customer_type": "privato", "address.country": "IT"}
    out = {k: ("" if billing.get(k) is None else str(billing.get(k)))
           for k in ("customer_type", *BILLING_TEXT_FIELDS)}
    for f in ADDRESS_FIELDS:
        v = (billing.get("address") or {}).get(f)
        out[f"address.{f}"] = "" if v is None else str(v)
    return out
