"""The files of a service form: sent with the form (no JavaScript) or one by one beforehand
(upload.js, with a progress bar); either way each goes to POST /api/documents and the line
carries its receipt. A file already uploaded stays through a page that shows other errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jwt
from sportello.web.gateway import Api
from starlette.datastructures import FormData, UploadFile

from sportello_storefront.answers import ANSWER_PREFIX

RECEIPT_SUFFIX = ".receipt"
MB = 1_048_576
# One file at its largest (the form's 25 MB) with its multipart framing.
MAX_ONE_FILE = 25 * MB + 65_536


@dataclass
class Held:
    """A file the visitor has uploaded for a field, as the page shows it again."""

    receipt: str
    name: str
    size_bytes: int


@dataclass
class FileAnswers:
    answers: dict[str, Any] = field(default_factory=dict)
    held: dict[str, list[Held]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def held_file(receipt: str) -> Held | None:
    """What a receipt names, only to show it back to the visitor who holds it (cart verifies)."""
    try:
        claims = jwt.decode(receipt, options={"verify_signature": False})
        return Held(receipt, str(claims["name"]), int(claims["size_bytes"]))
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None


def file_fields(service: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in (service.get("form") or {}).get("fields", []) if f.get("type") == "file"]


# What one service form may post with its files (without JavaScript: with it, each file is its
# own request of at most MAX_ONE_FILE).
MAX_FORM_FILES = 50 * MB


def max_body_bytes(service: dict[str, Any]) -> int:
    """The largest form a service page may post: its file fields at their limits (at most
    MAX_FORM_FILES together), plus the rest of the form."""
    return MB + min(MAX_FORM_FILES, sum((f.get("max_files") or 1) * (f.get("max_size_mb") or 25) * MB
                                        for f in file_fields(service)))


async def file_answers(gw: Api, service: dict[str, Any], form: FormData,
                       line: dict[str, Any] | None) -> FileAnswers:
    out = FileAnswers()
    for f in file_fields(service):
        name = ANSWER_PREFIX + f["name"]
        # An unreadable receipt still goes to the cart, which refuses it naming the field.
        held = [held_file(r) or Held(r, "documento", 0)
                for r in form.getlist(name + RECEIPT_SUFFIX) if isinstance(r, str) and r]
        uploads = [u for u in form.getlist(name) if isinstance(u, UploadFile) and u.filename]
        limit = (f.get("max_size_mb") or 25) * MB
        for upload in uploads:
            if (upload.size or 0) > limit:
                out.errors[name] = f"Il file «{upload.filename}» supera {f.get('max_size_mb') or 25} MB."
                break
            result = await gw.upload("/documents", upload.filename, upload.file, upload.content_type)
            if result.status != 201 or not isinstance(result.body, dict):
                out.errors[name] = result.detail or "Non è stato possibile caricare il file."
                break
            held.append(Held(result.body["receipt"], result.body["name"], result.body["size_bytes"]))
        out.held[name] = held
        if held:
            out.answers[f["name"]] = [{"receipt": h.receipt} for h in held]
        elif line and line.get("answers", {}).get(f["name"]):
            # A correction that uploads nothing keeps the files the line has.
            out.answers[f["name"]] = line["answers"][f["name"]]
    return out


def without_receipts(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not k.endswith(RECEIPT_SUFFIX)}
