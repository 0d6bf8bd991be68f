"""The request and response models of the documents routes (API.md "Documents")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class Uploaded(BaseModel):
    """A stored upload and the receipt a cart line carries it with."""

    id: uuid.UUID
    name: str
    content_type: str
    size_bytes: int
    sha256: str
    receipt: str


class DocumentOut(BaseModel):
    id: uuid.UUID
    kind: Literal["customer", "deliverable"]
    name: str
    content_type: str
    size_bytes: int
    sha256: str
    note: str | None = None
    created_at: datetime
    # Where the customer (or staff) downloads it through the gateway.
    href: str


class DocumentList(BaseModel):
    items: list[DocumentOut]
