"""Rendering an email: Jinja2 templates (HTML + text, one base layout), Italian money and dates.

Each template `<name>` is a pair `templates/<name>.html` and `templates/<name>.txt`; the text
one also holds `{% block subject %}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sportello import formatting

from sportello_notifications.domain import status_label

TEMPLATES_DIR = Path(__file__).parent / "templates"


def eur(cents: int) -> str:
    """1.234,50 € — with a plain space, so the amount reads (and is searched) as written."""
    return formatting.eur(cents).replace("\xa0", " ")


def data(value: date | datetime | str) -> str:
    """24 novembre 2026 (a datetime is first moved to Italian time)."""
    return formatting.day(value)


def data_ora(value: datetime | str) -> str:
    """24 novembre 2026 alle 14:05, Italian time."""
    return formatting.moment(value, "d MMMM y 'alle' HH:mm")


def aliquota(vat_rate_bp: int) -> str:
    """2200 → 22%; 450 → 4,5%."""
    return formatting.rate(vat_rate_bp) + "%"


ENV = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,  # a missing value is a bug of ours, not an empty line in an email
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(eur=eur, data=data, data_ora=data_ora, aliquota=aliquota,
                   stato=status_label)


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
