"""The accounts service's tables (its own database only)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from sportello.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
