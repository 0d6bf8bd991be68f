"""Rendering an email: Jinja2 templates (HTML + text, one base layout), Italian money and dates.

Each template `<name>` is a pair `templates/<name>.html` and `templates/<name>.txt`; the text
one also holds `{% block subject %}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sportello import formatting

from sportello_notifications.domain import status_label

TEMPLATES_DIR = Path(__file__).parent / "templates"


# The document filters, under the names the templates and tests use.
eur = formatting.plain_eur
data = formatting.day
data_ora = formatting.long_moment
aliquota = formatting.percent


def fine_frase(text: str) -> str:
    """A name that ends a sentence: "S.r.l." already carries the full stop."""
    return text if text.endswith(".") else f"{text}."


ENV = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,  # a missing value is a bug of ours, not an empty line in an email
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(**formatting.DOCUMENT_FILTERS, stato=status_label, fine_frase=fine_frase)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(template: str, context: dict[str, Any]) -> Rendered:
    text_t = ENV.get_template(f"{template}.txt")
    html_t = ENV.get_template(f"{template}.html")
    subject = "".join(text_t.blocks["subject"](text_t.new_context(context))).strip()
    context = {**context, "subject": subject}
    # Conditional blocks leave runs of blank lines in the text part; a reader wants one.
    text = re.sub(r"\n{3,}", "\n\n", text_t.render(context)).strip() + "\n"
    return Rendered(subject=" ".join(subject.split()), text=text, html=html_t.render(context))


def template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATES_DIR.glob("*.txt") if not p.stem.startswith("_")
                  and p.stem != "base")
