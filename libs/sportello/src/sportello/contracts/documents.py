"""An uploaded file's receipt: what documents signs at upload and cart checks offline (issue 20).

The receipt is a JWT (HS256 with the installation's documents secret) naming the document, its
uploader, size, detected type and sha256; cart verifies it without calling documents, so a line
can only carry a file its owner really uploaded, unchanged and within the receipt's lifetime.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pydantic import BaseModel, Field, ValidationError

ISSUER = "sportello-documents"
AUDIENCE = "sportello-cart"
# A draft is purged after 7 days; its receipt must not outlive it.
RECEIPT_LIFETIME = timedelta(days=7)
# What a form's `accept` may name: the types documents can tell apart from their bytes.
KNOWN_TYPES = frozenset({
    "application/pdf", "image/jpeg", "image/png", "image/tiff", "image/heic",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text", "application/zip", "text/plain",
})


class DocumentRef(BaseModel):
    """A file as a cart line, an order or a quote keeps it."""

    id: uuid.UUID
    name: str = Field(min_length=1, max_length=255)
    content_type: str
    size_bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


def owner_of(customer_id: uuid.UUID | None, cart_token: str | None) -> str:
    """Who uploaded a file, as its receipt names it: a customer, or the anonymous visitor holding
    a cart token (its hash: the token itself is a secret of the visitor's browser)."""
    if customer_id is not None:
        return f"customer:{customer_id}"
    if cart_token:
        return "visitor:" + hashlib.sha256(cart_token.encode()).hexdigest()
    raise ValueError("an upload needs a customer or a cart token")


def documents_in(answers: dict[str, Any]) -> list[DocumentRef]:
    """The files among a line's answers (a verified file answer is a list of DocumentRef)."""
    found = []
    for value in answers.values():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and {"id", "sha256", "size_bytes"} <= item.keys():
                    try:
                        found.append(DocumentRef.model_validate(item))
                    except ValidationError:
                        continue
    return found


class ReceiptError(ValueError):
    """Why a receipt is refused, in Italian, for the field it was sent in."""


def issue_receipt(secret: str, doc: DocumentRef, owner: str, now: datetime | None = None) -> str:
    at = now or datetime.now(UTC)
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": owner, "iat": int(at.timestamp()),
              "exp": int((at + RECEIPT_LIFETIME).timestamp()), **doc.model_dump(mode="json")}
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_receipt(secret: str, receipt: str, owner: str, now: datetime | None = None) -> DocumentRef:
    """The document a receipt vouches for, if `owner` uploaded it and it has not expired."""
    at = now or datetime.now(UTC)
    try:
        claims = jwt.decode(receipt, secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER,
                            options={"require": ["exp", "sub", "iat"], "verify_exp": False})
    except jwt.PyJWTError as e:
        raise ReceiptError("Ricevuta del documento non valida: caricalo di nuovo.") from e
    if claims["exp"] <= at.timestamp():
        raise ReceiptError("Il documento caricato è scaduto: caricalo di nuovo.")
    if claims["sub"] != owner:
        raise ReceiptError("Documento non trovato.")
    try:
        return DocumentRef.model_validate(claims)
    except ValidationError as e:
        raise ReceiptError("Ricevuta del documento non valida: caricalo di nuovo.") from e
