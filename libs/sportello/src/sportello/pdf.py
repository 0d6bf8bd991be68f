"""PDF documents a customer downloads (a quote, an invoice's courtesy copy): an HTML template of
the service's, on the shared page layout `sportello/templates/document.html`, printed by WeasyPrint.

    html = document_env(Path(__file__).parent / "templates").get_template("preventivo.html")
    pdf = await render_pdf(html.render(quote=..., business=...))
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from sportello.formatting import DOCUMENT_FILTERS

SHARED_TEMPLATES = Path(__file__).parent / "templates"


def document_env(templates: Path) -> Environment:
    """A service's document templates, which extend the shared `document.html`."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(templates), FileSystemLoader(SHARED_TEMPLATES)]),
        autoescape=select_autoescape(enabled_extensions=("html",)),
        undefined=StrictUndefined,
    )
    env.filters.update(DOCUMENT_FILTERS)
    return env


def _print(html: str) -> bytes:
    from weasyprint import HTML  # loads Pango: only where a PDF is printed

    return HTML(string=html).write_pdf()


async def render_pdf(html: str) -> bytes:
    """Printing takes tens of milliseconds of CPU: off the event loop, in a worker thread."""
    return await asyncio.to_thread(_print, html)
