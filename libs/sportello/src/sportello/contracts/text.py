"""Client text: one rule for the characters a name, a line or a free text may hold.

PostgreSQL refuses NUL in text and JSONB (a 500 if it gets that far) and a CR/LF in a name that
reaches a mail header splits the header: `Line` (names, subjects, one-line fields) refuses every
control character, `Text` (messages, notes) allows tab and line breaks only. `control_paths`
finds the bad strings anywhere in a parsed JSON body without recursion, so a body nested
thousands of levels deep is an answer about the body, never a RecursionError.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator

from sportello.contracts.fields import FieldError

MESSAGE = "Il testo contiene caratteri non ammessi."
DEPTH_MESSAGE = "Il contenuto è annidato troppo in profondità."
# How deep a client's JSON may nest: no form or billing datum needs more than a few levels.
MAX_DEPTH = 32

_LINE_BAD = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_TEXT_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NUL = "\x00"


def line_ok(value: str) -> bool:
    return _LINE_BAD.search(value) is None


def text_ok(value: str) -> bool:
    return _TEXT_BAD.search(value) is None


def _line(value: str) -> str:
    if not line_ok(value):
        raise ValueError(MESSAGE)
    return value


def _text(value: str) -> str:
    if not text_ok(value):
        raise ValueError(MESSAGE)
    return value


# Put these after a StringConstraints in an Annotated (constraints first, then the check):
# `Annotated[str, StringConstraints(max_length=100), ONE_LINE]`.
ONE_LINE = AfterValidator(_line)
FREE_TEXT = AfterValidator(_text)

Line = Annotated[str, ONE_LINE]
"""One line: no control character at all (a name or a subject may reach a mail header)."""
Text = Annotated[str, FREE_TEXT]
"""Free text: line breaks and tabs allowed, no NUL or other control character."""


class TooDeep(ValueError):
    pass


def nul_free(value: str) -> bool:
    return _NUL not in value


def control_paths(value: Any, at: str = "", *, multiline: bool = True, nul_only: bool = False,
                  max_depth: int = MAX_DEPTH) -> list[str]:
    """Dotted paths of the strings (keys included) that `Text` (or `Line`, or with `nul_only`
    PostgreSQL) would refuse.

    Iterative, so depth costs no stack; deeper than `max_depth` raises `TooDeep`.
    """
    ok = nul_free if nul_only else text_ok if multiline else line_ok
    found: list[str] = []
    stack: list[tuple[Any, str, int]] = [(value, at, 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > max_depth:
            raise TooDeep(path)
        if isinstance(node, str):
            if not ok(node):
                found.append(path or "body")
        elif isinstance(node, dict):
            for k, v in node.items():
                key = str(k)
                child = f"{path}.{key}" if path else key
                if not ok(key):
                    found.append(path or "body")
                    continue
                stack.append((v, child, depth + 1))
        elif isinstance(node, list | tuple):
            for i, v in enumerate(node):
                stack.append((v, f"{path}.{i}" if path else str(i), depth + 1))
    return sorted(set(found))


def text_errors(value: Any, at: str = "", *, multiline: bool = True,
                nul_only: bool = False) -> list[FieldError]:
    """`control_paths` as field errors (a too deep body is one error on `at`)."""
    try:
        return [FieldError(field=p, message=MESSAGE)
                for p in control_paths(value, at, multiline=multiline, nul_only=nul_only)]
    except TooDeep:
        return [FieldError(field=at or "body", message=DEPTH_MESSAGE)]


def has_nul(value: str) -> bool:
    return _NUL in value


def body_errors(raw: bytes) -> list[FieldError]:
    """What no JSON body may hold, whatever its fields: a NUL anywhere (PostgreSQL cannot store
    it) or nesting deeper than `MAX_DEPTH` ([] when clean or not JSON at all). Other control
    characters are the fields' own types to refuse (`Line`, `Text`, the name rules), so that
    every bad field of a body is named at once."""
    import json

    # Only an escape can put a NUL into valid JSON, and only nesting costs depth.
    if b"\\u0000" not in raw and raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return []
    try:
        data = json.loads(raw)
    except RecursionError:
        return [FieldError(field="body", message=DEPTH_MESSAGE)]
    except ValueError:
        return []  # not JSON: the route's own parsing answers for it
    return text_errors(data, nul_only=True)
