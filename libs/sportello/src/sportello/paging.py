"""Paging of lists: keyset pages on (a time, an id) with opaque cursors, and the offset cursor of
lists ordered by rank. A cursor that cannot be read is a 422 on `cursor`."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from sportello.contracts.fields import FieldError
from sportello.errors import ValidationFailed

# An offset cursor never asks the database to skip more rows than this.
MAX_OFFSET = 1_000_000


def bad_cursor() -> ValidationFailed:
    return ValidationFailed([FieldError(field="cursor", message="Cursore non valido.")])


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def encode_cursor(at: datetime, ident: uuid.UUID) -> str:
    return _encode(json.dumps([at.isoformat(), str(ident)]).encode())


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """(time, id) of the last row of the previous page; a naive time is no cursor of ours."""
    try:
        at, ident = json.loads(_decode(cursor))
        when = datetime.fromisoformat(str(at))
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, uuid.UUID(str(ident))
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):  # any shape a client sends
        raise bad_cursor() from None


async def keyset_page(session: AsyncSession, stmt: Select, at_column: Any, id_column: Any, *,
                      limit: int, cursor: str | None, newest_first: bool = True
                      ) -> tuple[list[Any], str | None]:
    """One page of `stmt` in (at, id) order, and the cursor of the next page (None on the last)."""
    if cursor:
        at, ident = decode_cursor(cursor)
        if newest_first:
            stmt = stmt.where(or_(at_column < at, and_(at_column == at, id_column < ident)))
        else:
            stmt = stmt.where(or_(at_column > at, and_(at_column == at, id_column > ident)))
    order = ((at_column.desc(), id_column.desc()) if newest_first
             else (at_column.asc(), id_column.asc()))
    rows = list((await session.scalars(stmt.order_by(*order).limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = (encode_cursor(getattr(last, at_column.key), getattr(last, id_column.key))
                   if more else None)
    return rows, next_cursor


def encode_offset(offset: int) -> str:
    return _encode(f"o:{offset}".encode())


def decode_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = _decode(cursor).decode()
        offset = int(text.removeprefix("o:")) if text.startswith("o:") else -1
    except (ValueError, UnicodeDecodeError):
        offset = -1
    if not 0 <= offset <= MAX_OFFSET:
        raise bad_cursor()
    return offset
