"""The form builder's rules, without a system: every field type has a name for staff, moves
keep the other fields as typed, texts become the catalog's body, API errors land on an input."""

from __future__ import annotations

from sportello.contracts.forms import FIELD_TYPES, FormDefinition, price_answers
from sportello_backoffice import builder

_posted = builder.flat


def test_every_type_of_the_shared_form_model_can_be_added():
    assert set(builder.FIELD_TYPE_LABELS) == set(FIELD_TYPES)
    draft = builder.empty_draft("siti-web")
    for kind in FIELD_TYPES:
        assert builder.apply(draft, "aggiungi", kind)
    assert [f["type"] for f in draft["fields"]] == list(FIELD_TYPES)
    assert len({f["name"] for f in draft["fields"]}) == len(FIELD_TYPES)
    body, errors = builder.to_api(builder.draft_from_form(_posted(draft)))
    assert errors == {}
    FormDefinition.model_validate(body["form"])  # the shared model reads what the builder sends


def test_moves_keep_what_staff_typed():
    draft = builder.empty_draft()
    for kind in ("text", "select", "checkbox"):
        builder.apply(draft, "aggiungi", kind)
    draft["fields"][0]["label"] = "Il tuo nome"
    assert builder.apply(draft, "giu:0")
    assert [f["type"] for f in draft["fields"]] == ["select", "text", "checkbox"]
    assert draft["fields"][1]["label"] == "Il tuo nome"
    assert builder.apply(draft, "su:2") and draft["fields"][1]["type"] == "checkbox"
    assert builder.apply(draft, "opzione:0") and len(draft["fields"][0]["options"]) == 2
    assert builder.apply(draft, "rimuovi-opzione:0:0")
    assert [o["value"] for o in draft["fields"][0]["options"]] == ["opzione_2"]
    assert builder.apply(draft, "rimuovi:1") and len(draft["fields"]) == 2
    # Out of range or unknown: nothing moves and nothing breaks.
    for action in ("su:0", "giu:1", "rimuovi:9", "rimuovi-opzione:0:7", "boh", "su:x"):
        builder.apply(draft, action)
    assert [f["type"] for f in draft["fields"]] == ["select", "text"]


def test_italian_amounts_become_cents_and_price_as_the_cart_does():
    draft = builder.empty_draft("siti-web")
    draft.update(slug="sito-lampo", name="Sito lampo", price="1.200,00", vat_rate="2200")
    builder.apply(draft, "aggiungi", "radio")
    builder.apply(draft, "opzione:0")
    builder.apply(draft, "aggiungi", "checkbox")
    builder.apply(draft, "aggiungi", "number")
    radio, check, number = draft["fields"]
    radio["options"][1].update(label="Urgente", price="150,50", percent="")
    check.update(label="Con logo", percent="12,5")
    number.update(label="Pagine extra", min="0", max="10", unit_price="80")
    body, errors = builder.to_api(builder.draft_from_form(_posted(draft)))
    assert errors == {}
    assert body["base_net_cents"] == 120000 and body["vat_rate_bp"] == 2200
    assert body["form"]["fields"][0]["options"][1]["price_cents"] == 15050
    assert body["form"]["fields"][1]["percent_bp"] == 1250
    assert body["form"]["fields"][2]["unit_price_cents"] == 8000
    form = FormDefinition.model_validate(body["form"])
    priced, _ = price_answers(form, body["base_net_cents"],
                              {"campo_1": "opzione_2", "campo_2": "on", "campo_3": "2"})
    assert priced.unit_net_cents == 169931  # (1.200 + 150,50 + 2 × 80) € + 12,5 %
    # Round trip: the service as the API answers comes back as the same texts.
    again = builder.draft_from_service({**body, "category": {"slug": "siti-web"}})
    assert again["price"] == "1.200,00" and again["fields"][1]["percent"] == "12,5"
    assert again["fields"][0]["options"][1]["price"] == "150,50"


def test_what_cannot_be_read_is_an_error_on_its_input():
    draft = builder.empty_draft()
    draft["price"] = "mille"
    builder.apply(draft, "aggiungi", "select")
    builder.apply(draft, "aggiungi", "number")
    draft["fields"][0]["options"][0]["percent"] = "tanto"
    draft["fields"][1]["max"] = "dieci"
    _, errors = builder.to_api(draft)
    assert errors == {"price": "Indica un importo in euro, ad esempio 12,50.",
                      "fields.0.options.0.percent": "Indica una percentuale, ad esempio 30 o 12,5.",
                      "fields.1.max": "Deve essere un numero intero."}


def test_the_catalogs_error_paths_name_the_builders_inputs():
    assert builder.input_of("form.fields.2.options.0.price_cents") == "fields.2.options.0.price"
    assert builder.input_of("form.fields.1.name") == "fields.1.name"
    assert builder.input_of("form.fields.0.unit_price_cents") == "fields.0.unit_price"
    assert builder.input_of("base_net_cents") == "price"
    assert builder.input_of("vat_rate_bp") == "vat_rate"
    assert builder.input_of("slug") == "slug"
    assert builder.input_of("form") == ""
