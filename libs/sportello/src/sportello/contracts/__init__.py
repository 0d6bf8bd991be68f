"""The only types services share: event envelope and payloads, money, billing, forms."""

from sportello.contracts.billing import Address, Billing, billing_errors, normalised
from sportello.contracts.envelope import Envelope
from sportello.contracts.events import EVENTS
from sportello.contracts.fields import FieldError
from sportello.contracts.forms import FormDefinition, price_answers, price_from
from sportello.contracts.money import Totals, line_amounts, totals, vat_cents

__all__ = [
    "EVENTS", "Address", "Billing", "Envelope", "FieldError", "FormDefinition", "Totals",
    "billing_errors", "line_amounts", "normalised", "price_answers", "price_from", "totals",
    "vat_cents",
]
