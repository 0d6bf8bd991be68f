"""HTTP routes of the notifications service: parse, call the domain, answer with schemas."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
