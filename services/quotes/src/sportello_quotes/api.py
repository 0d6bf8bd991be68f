"""HTTP routes of the quotes service: parse, call the domain, answer with schemas."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
