"""The hosted pages, in Italian: the card form, the second step (3D Secure), the closed session."""

from __future__ import annotations

from jinja2 import DictLoader, Environment, select_autoescape
from sportello.contracts.money import format_eur

from sportello_payments_sandbox.cards import TEST_CARDS

LAYOUT = """<!doctype html>
<html lang="it"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}Pagamento{% endblock %} · Sandbox pagamenti</title>
<style>
body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}
.box{border:1px solid #ccc;border-radius:8px;padding:1.5rem}
label{display:block;margin-top:1rem;font-weight:600}
input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
.err{color:#b00020;font-size:.9rem}
button{margin-top:1.5rem;padding:.7rem 1.2rem;font-size:1rem}
.note{background:#fff8e1;padding:.5rem;border-radius:4px;font-size:.9rem}
</style></head><body>
<p class="note">Ambiente di prova: nessun addebito reale.</p>
{% block body %}{% endblock %}
</body></html>"""

CARD_FORM = """{% extends "layout" %}
{% block title %}Paga {{ amount }}{% endblock %}
{% block body %}
<div class="box">
<h1>Pagamento con carta</h1>
<p>{{ s.description }} — riferimento <strong>{{ s.reference }}</strong></p>
<p>Importo: <strong>{{ amount }}</strong></p>
{% if errors %}<p class="err" role="alert">Controlla i dati della carta.</p>{% endif %}
<form method="post" action="/pay/{{ s.id }}">
<label for="card_number">Numero della carta</label>
<input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number"
 value="{{ form.card_number }}" required>
{% if errors.card_number %}<div class="err">{{ errors.card_number }}</div>{% endif %}
<label for="expiry">Scadenza (MM/AA)</label>
<input id="expiry" name="expiry" placeholder="12/34" autocomplete="cc-exp" value="{{ form.expiry }}" required>
{% if errors.expiry %}<div class="err">{{ errors.expiry }}</div>{% endif %}
<label for="cvc">Codice di sicurezza (CVC)</label>
<input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" required>
{% if errors.cvc %}<div class="err">{{ errors.cvc }}</div>{% endif %}
<label for="holder">Titolare della carta</label>
<input id="holder" name="holder" autocomplete="cc-name" value="{{ form.holder }}" required>
{% if errors.holder %}<div class="err">{{ errors.holder }}</div>{% endif %}
<button type="submit">Paga {{ amount }}</button>
</form>
<p><a href="/pay/{{ s.id }}/annulla">Annulla e torna al negozio</a></p>
</div>
<h2>Carte di prova</h2>
<ul>{% for number, what in cards %}<li><code>{{ number }}</code> — {{ what }}</li>{% endfor %}</ul>
<p>Qualsiasi scadenza futura, qualsiasi CVC di 3 cifre.</p>
{% endblock %}"""

CONFIRM = """{% extends "layout" %}
{% block title %}Conferma il pagamento{% endblock %}
{% block body %}
<div class="box">
<h1>Conferma il pagamento</h1>
<p>La tua banca chiede di confermare il pagamento di <strong>{{ amount }}</strong>
 (riferimento {{ s.reference }}).</p>
<form method="post" action="/pay/{{ s.id }}/conferma">
<button type="submit" name="scelta" value="autorizza">Autorizza il pagamento</button>
<button type="submit" name="scelta" value="nega">Rifiuta</button>
</form>
</div>
{% endblock %}"""

CLOSED = """{% extends "layout" %}
{% block title %}Sessione chiusa{% endblock %}
{% block body %}
<div class="box">
<h1>{{ title }}</h1>
<p>{{ message }}</p>
{% if back %}<p><a href="{{ back }}">Torna al negozio</a></p>{% endif %}
</div>
{% endblock %}"""

INDEX = """{% extends "layout" %}
{% block title %}Sandbox pagamenti{% endblock %}
{% block body %}
<h1>Sandbox pagamenti</h1>
<p>Fornitore di pagamento di prova di Sportello (solo sviluppo e test).</p>
<h2>Carte di prova</h2>
<ul>{% for number, what in cards %}<li><code>{{ number }}</code> — {{ what }}</li>{% endfor %}</ul>
{% endblock %}"""

env = Environment(
    loader=DictLoader({"layout": LAYOUT, "card": CARD_FORM, "confirm": CONFIRM, "closed": CLOSED,
                       "index": INDEX}),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def spaced(number: str) -> str:
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


CARD_LIST = [(spaced(n), what) for n, what in TEST_CARDS.items()]


def render(name: str, session=None, **context) -> str:
    if session is not None:
        context.setdefault("s", session)
        context.setdefault("amount", format_eur(session.amount_cents))
    context.setdefault("cards", CARD_LIST)
    context.setdefault("form", {})
    context.setdefault("errors", {})
    return env.get_template(name).render(**context)
