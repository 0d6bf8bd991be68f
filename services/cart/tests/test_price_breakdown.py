"""The price breakdown of a cart line through the HTTP API: what makes the price, summing to it."""

from __future__ import annotations

import pytest

from .conftest import publish, snapshot
from .test_api import anonymous

# Every field type that changes a price: a number with a unit price, a select and a radio with
# cents and percents, checkboxes with cents and with a percent.
PRICED_FIELDS = [
    {"name": "cartelle", "label": "Cartelle", "type": "number", "required": True, "min": 1,
     "max": 50, "unit_price_cents": 2500},
    {"name": "lingue", "label": "Lingue", "type": "select", "required": True, "options": [
        {"value": "en", "label": "Inglese"},
        {"value": "est", "label": "lingue dell'Est", "percent_bp": 2000},
        {"value": "giurata", "label": "Giurata", "price_cents": 3333}]},
    {"name": "consegna", "label": "Consegna", "type": "radio", "required": True, "options": [
        {"value": "std", "label": "Standard"},
        {"value": "urgente", "label": "urgente (+30 %)", "percent_bp": 3000},
        {"value": "corriere", "label": "Corriere", "price_cents": 999}]},
    {"name": "copia", "label": "Copia cartacea", "type": "checkbox", "price_cents": 1250},
    {"name": "revisione", "label": "Revisione (+15 %)", "type": "checkbox", "percent_bp": 1500},
    {"name": "note", "label": "Note", "type": "text"},
]
CASES = [
    ({"cartelle": 4, "lingue": "est", "consegna": "urgente"},
     ["Prezzo base", "Cartelle: 4 × 25,00 €", "+20 % lingue dell'Est", "+30 % urgente"]),
    ({"cartelle": 3, "lingue": "giurata", "consegna": "corriere", "copia": True, "revisione": True},
     ["Prezzo base", "Cartelle: 3 × 25,00 €", "Lingue: Giurata", "Consegna: Corriere",
      "Copia cartacea", "+15 % Revisione"]),
    ({"cartelle": 1, "lingue": "en", "consegna": "std", "note": "nessuna"},
     ["Prezzo base", "Cartelle: 1 × 25,00 €"]),
    ({"cartelle": 7, "lingue": "est", "consegna": "urgente", "revisione": True, "copia": True},
     ["Prezzo base", "Cartelle: 7 × 25,00 €", "Copia cartacea", "+20 % lingue dell'Est",
      "+30 % urgente", "+15 % Revisione"]),
]


def plain(text: str) -> str:
    return text.replace("\xa0", " ")  # Babel puts a no-break space before "€"


@pytest.fixture
async def priced_service(settings, client):
    # An odd base so the percents round: the entries must still add up to the line.
    return await publish(settings, client, snapshot(base_net_cents=1999, fields=PRICED_FIELDS,
                                                    name="Traduzione"))


@pytest.mark.parametrize(("answers", "labels"), CASES)
async def test_a_line_says_what_makes_its_price_and_the_entries_sum_to_it(
        client, priced_service, answers, labels):
    visitor = await anonymous(client)
    r = await client.post("/api/cart/items", headers=visitor,
                          json={"service_slug": priced_service.slug, "answers": answers})
    assert r.status_code == 201, r.text
    line = r.json()
    entries = line["price_breakdown"]
    assert [plain(e["label"]) for e in entries] == labels
    assert sum(e["amount_cents"] for e in entries) == line["unit_net_cents"] == line["net_cents"]
    assert {e["kind"] for e in entries} <= {"base", "extra", "quantity", "percent"}
    assert plain(line["price_breakdown_text"]).startswith("Prezzo base 19,99 €")
    assert line["price_breakdown_text"].endswith(" + IVA")

    [again] = (await client.get("/api/cart", headers=visitor)).json()["lines"]
    assert (again["price_breakdown"], again["price_breakdown_text"]) == (
        entries, line["price_breakdown_text"])


async def test_the_breakdown_of_four_pages_east_urgent_reads_as_the_shop_says(client,
                                                                               priced_service):
    visitor = await anonymous(client)
    line = (await client.post("/api/cart/items", headers=visitor, json={
        "service_slug": priced_service.slug,
        "answers": {"cartelle": 4, "lingue": "est", "consegna": "urgente"}})).json()
    # (19,99 + 4 × 25,00) = 119,99; +50 % of it = 60,00 (59,995 half-up): 20 % = 24,00, 30 % = 36,00
    assert [(e["kind"], e["amount_cents"]) for e in line["price_breakdown"]] == [
        ("base", 1999), ("quantity", 10000), ("percent", 2400), ("percent", 3600)]
    assert line["unit_net_cents"] == 17999
    assert plain(line["price_breakdown_text"]) == (
        "Prezzo base 19,99 € · Cartelle: 4 × 25,00 € = 100,00 € · +20 % lingue dell'Est = 24,00 € "
        "· +30 % urgente = 36,00 € · Totale 179,99 € + IVA")


async def test_correcting_a_line_gives_it_the_breakdown_of_its_new_answers(client, priced_service):
    visitor = await anonymous(client)
    line = (await client.post("/api/cart/items", headers=visitor, json={
        "service_slug": priced_service.slug,
        "answers": {"cartelle": 2, "lingue": "en", "consegna": "std"}})).json()
    r = await client.patch(f"/api/cart/items/{line['id']}", headers=visitor, json={
        "answers": {"cartelle": 5, "lingue": "en", "consegna": "urgente"}, "quantity": 2})
    assert r.status_code == 200, r.text
    changed = r.json()
    assert [plain(e["label"]) for e in changed["price_breakdown"]] == [
        "Prezzo base", "Cartelle: 5 × 25,00 €", "+30 % urgente"]
    # The breakdown is of one unit; the line is that times the quantity.
    assert sum(e["amount_cents"] for e in changed["price_breakdown"]) * 2 == \
        changed["net_cents"]


async def test_quote_cart_lines_carry_no_breakdown(settings, client):
    s = await publish(settings, client, snapshot(pricing_mode="quote", base_net_cents=None,
                                                 fields=PRICED_FIELDS))
    visitor = await anonymous(client)
    r = await client.post("/api/cart/quote/items", headers=visitor, json={
        "service_slug": s.slug, "answers": {"cartelle": 4, "lingue": "est", "consegna": "urgente"}})
    assert r.status_code == 201, r.text
    assert (r.json()["price_breakdown"], r.json()["price_breakdown_text"]) == (None, None)
