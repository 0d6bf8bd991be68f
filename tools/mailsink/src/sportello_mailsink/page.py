"""The inbox page a person reads: newest first, each message with its text and its HTML view."""

from __future__ import annotations

from datetime import datetime
from html import escape

from sportello.settings import Settings

from sportello_mailsink.store import Received

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f5;color:#18181b}
header{background:#1e3a5f;color:#fff;padding:1rem 2rem}
header h1{margin:0;font-size:1.3rem} header p{margin:.3rem 0 0;opacity:.85;font-size:.9rem}
main{padding:1rem 2rem;max-width:70rem}
details{background:#fff;border:1px solid #d4d4d8;border-radius:6px;margin:.5rem 0;padding:.6rem 1rem}
summary{cursor:pointer} .meta{color:#52525b;font-size:.85rem}
pre{white-space:pre-wrap;background:#fafafa;border:1px solid #e4e4e7;padding:.8rem}
iframe{width:100%;height:32rem;border:1px solid #e4e4e7;background:#fff}
"""


def _message(m: Received) -> str:
    when = datetime.fromtimestamp(m.received_at).strftime("%d/%m/%Y %H:%M:%S")
    html = (f'<h4>HTML</h4><iframe sandbox="" srcdoc="{escape(m.html)}"></iframe>'
            if m.html else "")
    text = f"<h4>Testo</h4><pre>{escape(m.text)}</pre>" if m.text else ""
    return (
        f"<details><summary><strong>{escape(m.subject) or '(senza oggetto)'}</strong>"
        f" — {escape(', '.join(m.to))}"
        f' <span class="meta">{when}</span></summary>'
        f'<p class="meta">Da: {escape(m.from_)} · Message-ID: {escape(m.message_id or "-")}'
        f' · <a href="/api/messages/{m.id}">JSON</a></p>{text}{html}</details>'
    )


def render_inbox(messages: list[Received], settings: Settings) -> str:
    body = "".join(_message(m) for m in messages) or "<p>Nessun messaggio ricevuto.</p>"
    return (
        '<!doctype html><html lang="it"><head><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="10"><title>Email ricevute — Sportello</title>'
        f"<style>{STYLE}</style></head><body><header><h1>Email ricevute ({len(messages)})</h1>"
        f"<p>SMTP su {escape(settings.smtp_host)}:{settings.smtp_port} · i destinatari che "
        "iniziano con «rifiuta» sono rifiutati (550), con «occupato» rimandati (451) · "
        '<a style="color:#fff" href="/api/messages">JSON</a></p></header>'
        f"<main>{body}</main></body></html>"
    )
