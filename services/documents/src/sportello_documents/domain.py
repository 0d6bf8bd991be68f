"""The rules of a file: which type its bytes are, which name it may keep, who may read it."""

from __future__ import annotations

import re
import unicodedata
import uuid

import filetype
from sportello.contracts.documents import KNOWN_TYPES

# Enough of the start of a file for every signature filetype knows (zip-based office files too).
HEAD_BYTES = 8192
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def detect_type(head: bytes) -> str | None:
    """The content type of a file from its first bytes, if it is one we take (never its name)."""
    kind = filetype.guess_mime(head)
    if kind in KNOWN_TYPES:
        return kind
    if kind is None and head and _is_text(head):
        return "text/plain"
    return None


def _is_text(head: bytes) -> bool:
    """UTF-8 without control characters but tab and line breaks (the head may cut a character)."""
    for cut in range(4):
        try:
            text = head[:len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return not _BINARY.search(text)
    return False


def clean_name(name: str | None) -> str:
    """The file's name as shown and as downloaded: no path, no control characters, ≤ 255."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", _CONTROL.sub("", base)).strip().strip(".")
    return base[:255] or "documento"


def attachment_header(name: str) -> str:
    """Content-Disposition of a download: always an attachment; the name ASCII and RFC 5987."""
    from urllib.parse import quote

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r'["\\;]', "_", ascii_name) or "documento"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def blob_key(sha256: str) -> str:
    return f"blobs/{sha256[:2]}/{sha256}"


def staging_key() -> str:
    return f"staging/{uuid.uuid4()}"
