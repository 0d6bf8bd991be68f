"""The form builder of Catalogo, with no I/O: a service as the texts staff type (a "draft"), the
builder's moves (add, move, remove fields and options), the draft → the catalog API's body, and
the API's error paths → the builder's inputs."""

from __future__ import annotations

import re
from typing import Any

from sportello.contracts.forms import FIELD_TYPES
from sportello.formatting import cents_from_euro

# Every type of the shared form model, in the words of staff (a test checks none is missing).
FIELD_TYPE_LABELS = {
    "text": "Testo breve", "textarea": "Testo lungo", "number": "Numero",
    "select": "Menu a tendina", "radio": "Scelta tra opzioni", "checkbox": "Casella (sì/no)",
    "date": "Data", "email": "Email", "tel": "Telefono", "file": "File da caricare",
}
CHOICE_TYPES = ("select", "radio")
# What the catalog accepts (services/catalog domain.VAT_RATES_BP), as a select: no typing errors.
VAT_RATES_BP = (2200, 1000, 500, 400, 0)
SERVICE_TEXTS = ("slug", "category", "name", "short_description", "description", "pricing_mode",
                 "price", "vat_rate", "vat_exemption")
FIELD_TEXTS = ("name", "label", "type", "help", "placeholder", "max_length", "min", "max", "step",
               "unit_price", "price", "percent", "accept", "max_files", "max_size_mb")
OPTION_TEXTS = ("value", "label", "price", "percent")
MAX_FIELDS = 50
MAX_OPTIONS = 50
_FIELD_KEY = re.compile(r"^fields\.(\d{1,2})\.(\w+)$")
_OPTION_KEY = re.compile(r"^fields\.(\d{1,2})\.options\.(\d{1,2})\.(\w+)$")

# API attribute → the builder input that holds it (money and percentages are typed as text).
_API_TO_INPUT = {"price_cents": "price", "percent_bp": "percent", "unit_price_cents": "unit_price",
                 "base_net_cents": "price", "vat_rate_bp": "vat_rate"}


def euro_text(cents: int | None) -> str:
    if cents is None:
        return ""
    text = f"{cents // 100:,}".replace(",", ".")
    return f"{text},{cents % 100:02d}"


def percent_text(bp: int | None) -> str:
    if not bp:
        return ""
    whole, rest = divmod(bp, 100)
    return f"{whole}" if not rest else f"{whole},{rest:02d}".rstrip("0")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def new_field(kind: str, taken: set[str]) -> dict[str, Any]:
    n = 1
    while f"campo_{n}" in taken:
        n += 1
    field: dict[str, Any] = {k: "" for k in FIELD_TEXTS}
    field.update(name=f"campo_{n}", label="Nuovo campo", type=kind, required=False, options=[])
    if kind in CHOICE_TYPES:
        field["options"] = [new_option(0)]
    if kind == "file":
        field.update(accept="application/pdf", max_files="1", max_size_mb="10")
    return field


def new_option(index: int) -> dict[str, str]:
    return {"value": f"opzione_{index + 1}", "label": f"Opzione {index + 1}", "price": "",
            "percent": ""}


def empty_draft(category: str = "") -> dict[str, Any]:
    draft: dict[str, Any] = {k: "" for k in SERVICE_TEXTS}
    draft.update(category=category, pricing_mode="fixed", vat_rate="2200", quote_allowed=False,
                 fields=[])
    return draft


def draft_from_service(service: dict[str, Any]) -> dict[str, Any]:
    """A service of the catalog API → the builder's texts."""
    category = service.get("category")
    draft = empty_draft(category.get("slug", "") if isinstance(category, dict) else _text(category))
    draft.update(slug=service.get("slug", ""), name=service.get("name", ""),
                 short_description=service.get("short_description") or "",
                 description=service.get("description") or "",
                 pricing_mode=service.get("pricing_mode") or "fixed",
                 price=euro_text(service.get("base_net_cents")),
                 vat_rate=_text(service.get("vat_rate_bp")),
                 vat_exemption=service.get("vat_exemption") or "",
                 quote_allowed=bool(service.get("quote_allowed")))
    for f in (service.get("form") or {}).get("fields") or []:
        field = {k: _text(f.get(k)) for k in FIELD_TEXTS}
        field.update(unit_price=euro_text(f.get("unit_price_cents")),
                     price=euro_text(f.get("price_cents")), percent=percent_text(f.get("percent_bp")),
                     accept=", ".join(f.get("accept") or []), required=bool(f.get("required")),
                     options=[{"value": o.get("value", ""), "label": o.get("label", ""),
                               "price": euro_text(o.get("price_cents") or None),
                               "percent": percent_text(o.get("percent_bp"))}
                              for o in f.get("options") or []])
        draft["fields"].append(field)
    return draft


def draft_from_form(data: dict[str, Any]) -> dict[str, Any]:
    """The builder's posted inputs → the draft, fields and options in the order of their index."""
    draft = empty_draft()
    draft.update({k: str(data.get(k, "")).strip() for k in SERVICE_TEXTS})
    draft["quote_allowed"] = bool(data.get("quote_allowed"))
    fields: dict[int, dict[str, Any]] = {}
    options: dict[int, dict[int, dict[str, str]]] = {}
    for key, value in data.items():
        if m := _OPTION_KEY.match(key):
            i, j, attr = int(m[1]), int(m[2]), m[3]
            if attr in OPTION_TEXTS:
                options.setdefault(i, {}).setdefault(j, {k: "" for k in OPTION_TEXTS})[attr] = \
                    str(value).strip()
        elif m := _FIELD_KEY.match(key):
            i, attr = int(m[1]), m[2]
            field = fields.setdefault(i, {**{k: "" for k in FIELD_TEXTS}, "required": False})
            if attr == "required":
                field["required"] = True
            elif attr in FIELD_TEXTS:
                field[attr] = str(value).strip()
    for i in sorted(fields)[:MAX_FIELDS]:
        field = fields[i]
        if field["type"] not in FIELD_TYPES:
            field["type"] = "text"
        field["options"] = [options.get(i, {})[j] for j in sorted(options.get(i, {}))][:MAX_OPTIONS]
        draft["fields"].append(field)
    return draft


def apply(draft: dict[str, Any], action: str, new_type: str = "") -> bool:
    """One move of the builder on the draft (in place); False when `action` is no move."""
    fields = draft["fields"]
    verb, _, rest = action.partition(":")
    at = [int(p) for p in rest.split(":") if p.isdigit()] if rest else []
    if verb == "aggiungi" and new_type in FIELD_TYPES and len(fields) < MAX_FIELDS:
        fields.append(new_field(new_type, {f["name"] for f in fields}))
    elif verb in ("su", "giu", "rimuovi", "opzione", "rimuovi-opzione") and at \
            and 0 <= at[0] < len(fields):
        i = at[0]
        if verb == "su" and i > 0:
            fields[i - 1], fields[i] = fields[i], fields[i - 1]
        elif verb == "giu" and i < len(fields) - 1:
            fields[i + 1], fields[i] = fields[i], fields[i + 1]
        elif verb == "rimuovi":
            del fields[i]
        elif verb == "opzione" and len(fields[i]["options"]) < MAX_OPTIONS:
            fields[i]["options"].append(new_option(len(fields[i]["options"])))
        elif verb == "rimuovi-opzione" and len(at) == 2 and 0 <= at[1] < len(fields[i]["options"]):
            del fields[i]["options"][at[1]]
    else:
        return False
    return True


def _cents(text: str, at: str, errors: dict[str, str]) -> int | None:
    try:
        return cents_from_euro(text)
    except ValueError:
        errors[at] = "Indica un importo in euro, ad esempio 12,50."
        return None


def _bp(text: str, at: str, errors: dict[str, str]) -> int | None:
    """'30' or '12,5' (per cent) → basis points."""
    raw = text.replace("%", "").strip()
    if not raw:
        return None
    whole, _, decimals = raw.partition(",")
    if not whole.isdigit() or (decimals and (not decimals.isdigit() or len(decimals) > 2)):
        errors[at] = "Indica una percentuale, ad esempio 30 o 12,5."
        return None
    return int(whole) * 100 + int(decimals.ljust(2, "0") or 0)


def _int(text: str, at: str, errors: dict[str, str]) -> int | None:
    if not text:
        return None
    if not re.fullmatch(r"-?\d{1,9}", text):
        errors[at] = "Deve essere un numero intero."
        return None
    return int(text)


def _field_body(f: dict[str, Any], at: str, errors: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"name": f["name"], "label": f["label"], "type": f["type"],
                            "required": f["required"]}
    for attr in ("help", "placeholder"):
        if f.get(attr):
            body[attr] = f[attr]
    kind = f["type"]
    if kind in ("text", "textarea"):
        body["max_length"] = _int(f["max_length"], f"{at}.max_length", errors)
    elif kind == "number":
        for attr in ("min", "max", "step"):
            body[attr] = _int(f[attr], f"{at}.{attr}", errors)
        body["unit_price_cents"] = _cents(f["unit_price"], f"{at}.unit_price", errors)
    elif kind == "date":
        body.update(min=f["min"] or None, max=f["max"] or None)
    elif kind in CHOICE_TYPES:
        body["options"] = [
            {"value": o["value"], "label": o["label"],
             "price_cents": _cents(o["price"], f"{at}.options.{j}.price", errors) or 0,
             "percent_bp": _bp(o["percent"], f"{at}.options.{j}.percent", errors) or 0}
            for j, o in enumerate(f["options"])]
    elif kind == "checkbox":
        body["price_cents"] = _cents(f["price"], f"{at}.price", errors)
        body["percent_bp"] = _bp(f["percent"], f"{at}.percent", errors)
    elif kind == "file":
        body["accept"] = [t.strip() for t in f["accept"].split(",") if t.strip()]
        body["max_files"] = _int(f["max_files"], f"{at}.max_files", errors)
        body["max_size_mb"] = _int(f["max_size_mb"], f"{at}.max_size_mb", errors)
    return {k: v for k, v in body.items() if v is not None}


def to_api(draft: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The draft → the body of POST /api/staff/catalog/services (slug included) and the errors
    of what could not even be read, by builder input."""
    errors: dict[str, str] = {}
    body: dict[str, Any] = {k: draft[k] for k in ("slug", "category", "name", "short_description",
                                                   "description", "pricing_mode")}
    body["base_net_cents"] = _cents(draft["price"], "price", errors)
    vat = _int(draft["vat_rate"], "vat_rate", errors)
    body["vat_rate_bp"] = 0 if vat is None else vat
    body["vat_exemption"] = draft["vat_exemption"] or None
    body["quote_allowed"] = draft["quote_allowed"]
    body["form"] = {"fields": [_field_body(f, f"fields.{i}", errors)
                               for i, f in enumerate(draft["fields"])]}
    return body, errors


def input_of(api_field: str) -> str:
    """Where the builder shows an error of the catalog API: `form.fields.2.options.0.price_cents`
    → `fields.2.options.0.price`; '' for what is no one input (the page's summary says it)."""
    path = api_field.removeprefix("body.")
    if path in ("form", "form.fields"):
        return ""
    path = path.removeprefix("form.")
    head, _, last = path.rpartition(".")
    last = _API_TO_INPUT.get(last, last)
    return f"{head}.{last}" if head else last


def flat(draft: dict[str, Any]) -> dict[str, Any]:
    """The draft as the builder's inputs name it (what the browser posts back)."""
    data: dict[str, Any] = {k: draft[k] for k in SERVICE_TEXTS}
    if draft["quote_allowed"]:
        data["quote_allowed"] = "on"
    for i, f in enumerate(draft["fields"]):
        data.update({f"fields.{i}.{k}": f[k] for k in FIELD_TEXTS})
        if f["required"]:
            data[f"fields.{i}.required"] = "on"
        for j, o in enumerate(f["options"]):
            data.update({f"fields.{i}.options.{j}.{k}": o[k] for k in OPTION_TEXTS})
    return data
