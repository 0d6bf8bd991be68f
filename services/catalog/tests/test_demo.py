"""`sportello demo-data`, run as an operator would: a believable catalog, loaded exactly once."""

from __future__ import annotations

import asyncio

import asyncpg
from sportello.contracts.events import ServicePublished
from sportello.db import asyncpg_dsn
from sportello.testing import EventTap
from sportello.testing.system import run_command
from sportello_catalog.demo_data import CATEGORIES, SERVICES


async def _fetchval(settings, query: str, db_suffix: str | None = None):
    s = settings if db_suffix is None else settings.model_copy(update={"db_suffix": db_suffix})
    conn = await asyncpg.connect(asyncpg_dsn(s.database_url("catalog")))
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()


async def test_demo_data_twice_leaves_one_copy_and_publishes_each_service_once(client, settings, staff):
    async with EventTap(settings, "catalog.service.published") as tap:
        out = await asyncio.to_thread(run_command, settings, "demo-data")
        assert f"{len(SERVICES)} servizi creati" in out
        events = await tap.wait_for("catalog.service.published",
                                    lambda d: d["service"]["slug"] in {s.slug for s in SERVICES},
                                    count=len(SERVICES))
        outbox_after_first = await _fetchval(settings, "SELECT count(*) FROM outbox")

        out = await asyncio.to_thread(run_command, settings, "demo-data")
        assert "0 categorie create, 0 servizi creati, 0 aggiornati" in out
        assert await _fetchval(settings, "SELECT count(*) FROM outbox") == outbox_after_first

    assert sorted(e.data["service"]["slug"] for e in events) == sorted(s.slug for s in SERVICES)
    assert {ServicePublished.model_validate(e.data).service.version for e in events} == {1}

    categories = {c["slug"]: c for c in (await client.get("/api/catalog/categories")).json()}
    for c in CATEGORIES:
        expected = sum(1 for s in SERVICES if s.category == c["slug"])
        assert categories[c["slug"]]["service_count"] == expected
    page = (await client.get("/api/catalog/services", params={"limit": 100})).json()
    demo = [s for s in page["items"] if s["slug"] in {d.slug for d in SERVICES}]
    assert len(demo) == len(SERVICES) >= 20
    assert sum(s["pricing_mode"] == "quote" for s in demo) >= 3
    assert {s["vat_rate_bp"] for s in demo} >= {0, 2200}
    # The accredited training is exempt under art. 10 n. 20, in the event the cart replicates too.
    course = (await client.get("/api/catalog/services/corso-gdpr-aula")).json()
    assert (course["vat_rate_bp"], course["vat_exemption"]) == (0, "art10_n20")
    assert course["vat_exemption_note"] == "Esente IVA art. 10, n. 20, DPR 633/72"
    [published] = [e for e in events if e.data["service"]["slug"] == "corso-gdpr-aula"]
    assert published.data["service"]["vat_exemption"] == "art10_n20"
    detail = (await client.get("/api/catalog/services/traduzione-asseverata")).json()
    assert detail["version"] == 1 and detail["price_from_cents"] == 9000
    # The search the issue asks for, on the demo texts.
    found = (await client.get("/api/catalog/services", params={"q": "traduzioni"})).json()
    assert {"traduzione-per-pagina", "traduzione-asseverata"} <= {s["slug"] for s in found["items"]}


async def test_demo_data_creates_and_migrates_its_own_database(settings):
    # A database nobody created yet (the suffix still ends with the run's, so it is dropped after).
    fresh = f"_demo{settings.db_suffix}"
    env_settings = settings.model_copy(update={"db_suffix": fresh})
    await asyncio.to_thread(run_command, env_settings, "demo-data", "--scale", "2")
    await asyncio.to_thread(run_command, env_settings, "demo-data", "--scale", "2")
    assert await _fetchval(settings, "SELECT count(*) FROM services", fresh) == 2 * len(SERVICES)
    assert await _fetchval(settings, "SELECT count(*) FROM categories", fresh) == 2 * len(CATEGORIES)
    assert await _fetchval(settings, "SELECT max(version) FROM services", fresh) == 1
