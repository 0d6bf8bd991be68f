"""Between a service's HTML form and its answers: the shop's form and the back office's preview
of it read and fill the same `answers.<name>` inputs."""

from __future__ import annotations

from typing import Any

from sportello.contracts.forms import FormDefinition

ANSWER_PREFIX = "answers."


def answers_from_form(data: dict[str, Any]) -> dict[str, Any]:
    """`answers.<name>` inputs → the answers object; the API validates and normalises them.

    Unchecked checkboxes are simply absent, which the API reads as "no".
    """
    return {k[len(ANSWER_PREFIX):]: v for k, v in data.items() if k.startswith(ANSWER_PREFIX)}


def default_values(form: FormDefinition) -> dict[str, str]:
    """The inputs of a new form, filled with each field's default."""
    return {f"{ANSWER_PREFIX}{f.name}": ("on" if f.default is True else str(f.default))
            for f in form.fields if f.default not in (None, False)}
