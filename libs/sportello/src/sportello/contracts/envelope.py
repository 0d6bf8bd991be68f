"""The JSON envelope every event travels in (ARCHITECTURE.md "Events")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: str | None = None
    data: dict[str, Any]

    def payload(self) -> BaseModel:
        """`data` parsed with the contract model of this event type (unknown fields ignored)."""
        from sportello.contracts.events import EVENTS

        return EVENTS[self.type].model_validate(self.data)
