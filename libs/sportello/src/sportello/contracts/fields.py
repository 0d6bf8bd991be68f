"""A field-level error: the dotted path as the client sent it, and a message in Italian."""

from __future__ import annotations

from pydantic import BaseModel


class FieldError(BaseModel):
    field: str
    message: str


def prefixed(errors: list[FieldError], prefix: str) -> list[FieldError]:
    if not prefix:
        return errors
    return [FieldError(field=f"{prefix}.{e.field}" if e.field else prefix, message=e.message) for e in errors]
