"""The catalog's free-text search through its HTTP API on the real database: accents, prefixes,
stems, the same summaries as the category page, paging and bad parameters."""

from __future__ import annotations

import pytest
from sportello.testing import problem_fields


async def search(client, q: str, category: str | None = None, **params) -> dict:
    r = await client.get("/api/catalog/services",
                         params={"q": q, **({"category": category} if category else {}), **params})
    assert r.status_code == 200, r.text
    return r.json()


def slugs(page: dict) -> list[str]:
    return [s["slug"] for s in page["items"]]


@pytest.fixture
async def searchable(client, staff, category, unique, service_body):
    made = {}
    for key, name, short in (
            ("traduzione", "Traduzione giurata", "Documenti tradotti e asseverati."),
            ("perizia", "Perizia di stima", "Un tecnico valuta il tuo immobile."),
            ("attivita", "Apertura attività commerciale", "SCIA e comunicazioni."),
    ):
        slug = unique(key)
        body = service_body(slug, category, name=name, short_description=short,
                            description="Un servizio professionale.")
        r = await client.post("/api/staff/catalog/services", headers=staff, json=body)
        assert r.status_code == 201, r.text
        made[key] = slug
    return made


@pytest.mark.parametrize(("q", "key"), [
    ("tradu", "traduzione"),            # a prefix
    ("TRADU", "traduzione"),
    ("traduzioni", "traduzione"),       # the plural, by the Italian stemmer
    ("traduzióne", "traduzione"),       # an accent the name has not
    ("trad giur", "traduzione"),        # every word a prefix
    ("perizia", "perizia"),
    ("perizìa", "perizia"),
    ("periz", "perizia"),
    ("attivita", "attivita"),           # without the accent the name has
    ("attività", "attivita"),
    ("commerc", "attivita"),
])
async def test_search_ignores_accents_and_matches_prefixes(client, category, searchable, q, key):
    assert slugs(await search(client, q, category)) == [searchable[key]]


async def test_words_that_match_nothing_find_nothing(client, category, searchable):
    assert await search(client, "idraulico", category) == {"items": [], "next_cursor": None}
    assert await search(client, "tradu idraulico", category) == {"items": [], "next_cursor": None}
    # Only punctuation or tsquery operators: no word to look for, not an error.
    assert (await search(client, "&|!:*()'", category))["items"] == []


async def test_search_answers_the_summaries_the_category_page_shows(client, staff, category,
                                                                   searchable):
    page = (await client.get(f"/api/catalog/categories/{category}")).json()
    shown = {s["slug"]: s for s in page["services"]}
    found = await search(client, "tradu", category)
    assert found["items"] == [shown[searchable["traduzione"]]]
    # 50,00 base + 1 page × 25,00, the least any answers give
    assert found["items"][0]["price_from_cents"] == 7500

    r = await client.patch(f"/api/staff/catalog/services/{searchable['traduzione']}",
                           headers=staff, json={"base_net_cents": 6000})
    assert r.status_code == 200, r.text
    assert (await search(client, "tradu", category))["items"][0]["price_from_cents"] == 8500
    r = await client.post(f"/api/staff/catalog/services/{searchable['traduzione']}/retire",
                          headers=staff)
    assert r.status_code == 200
    assert (await search(client, "tradu", category))["items"] == []


async def test_search_results_page_with_a_cursor(client, category, searchable):
    seen, cursor = [], None
    for _ in range(5):
        page = await search(client, "profess", category, limit=1,
                            **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) == 1
        seen += slugs(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(searchable.values())


async def test_bad_search_parameters_are_422_naming_the_parameter(client):
    r = await client.get("/api/catalog/services", params={"q": "tradu", "limit": 0})
    assert r.status_code == 422 and "limit" in problem_fields(r.json())
    r = await client.get("/api/catalog/services", params={"q": "tradu", "limit": "tanti"})
    assert r.status_code == 422 and "limit" in problem_fields(r.json())
    r = await client.get("/api/catalog/services", params={"q": "t" * 201})
    assert r.status_code == 422 and "q" in problem_fields(r.json())
    r = await client.get("/api/catalog/services", params={"q": "tradu", "cursor": "non-un-cursore"})
    assert r.status_code == 422 and problem_fields(r.json()) == {"cursor": "Cursore non valido."}
