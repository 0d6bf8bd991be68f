"""The Idempotency-Key rule of the requests that must happen once (checkout, quote submission):
the server that honours the key and the client that sends it apply the same check."""

from __future__ import annotations

from sportello.contracts.fields import FieldError
from sportello.errors import ValidationFailed

HEADER = "Idempotency-Key"
MAX_LENGTH = 255


def key_errors(key: str | None) -> list[FieldError]:
    """What is wrong with `key` as an Idempotency-Key: nothing, or one error on the header."""
    if key is None or not key.strip():
        return [FieldError(field=HEADER, message="Intestazione obbligatoria (1-255 caratteri).")]
    if len(key) > MAX_LENGTH:
        return [FieldError(field=HEADER, message="Al massimo 255 caratteri.")]
    return []


def check_idempotency_key(key: str | None) -> str:
    if errors := key_errors(key):
        raise ValidationFailed(errors)
    return key


KEY_REUSED = FieldError(field=HEADER,
                        message="Questa chiave è già stata usata per una richiesta diversa.")
