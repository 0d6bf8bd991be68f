"""`sportello demo-data`: create or update the demo catalog; running it again changes nothing.

Each service is compared with what is stored: missing ones are created, ones whose content
differs are updated (a new version, published through the outbox like any staff edit), equal
ones are left alone (no version, no event). Services staff retired stay retired. `--scale N`
adds N-1 numbered copies of the whole catalog (for the benchmarks' "10× catalog").
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, replace
from pathlib import Path

from sportello.db import ensure_database, make_engine, make_sessionmaker, upgrade_async
from sportello.observability import configure_logging
from sportello.settings import Settings, get_settings
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_catalog import actions, demo_data, repository
from sportello_catalog.domain import ServiceContent

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class Loaded:
    categories_created: int = 0
    services_created: int = 0
    services_updated: int = 0
    services_unchanged: int = 0
    services_retired_kept: int = 0


def catalog(scale: int = 1) -> tuple[list[dict], list[ServiceContent]]:
    """The demo categories and services, with copies `-2` … `-N` when scaled."""
    categories = list(demo_data.CATEGORIES)
    services = list(demo_data.SERVICES)
    for k in range(2, scale + 1):
        categories += [{**c, "slug": f"{c['slug']}-{k}", "name": f"{c['name']} {k}",
                        "position": c["position"] + 1000 * k} for c in demo_data.CATEGORIES]
        services += [replace(s, slug=f"{s.slug}-{k}", category=f"{s.category}-{k}",
                             name=f"{s.name} {k}") for s in demo_data.SERVICES]
    return categories, services


async def upsert(session: AsyncSession, categories: list[dict], services: list[ServiceContent]) -> Loaded:
    """Bring the catalog to the demo content, in the caller's transaction."""
    loaded = Loaded()
    # Holding the revision lock for the whole load serialises two demo-data runs.
    await repository.lock_catalog(session)
    for c in categories:
        if await repository.category_by_slug(session, c["slug"]) is None:
            await actions.create_category(session, c["slug"], c["name"], c["description"],
                                             c["position"])
            loaded.categories_created += 1
        else:
            await actions.update_category(session, c["slug"], {
                "name": c["name"], "description": c["description"], "position": c["position"]})
    for content in services:
        existing = await repository.service_by_slug(session, content.slug)
        if existing is None:
            await actions.create_service(session, content)
            loaded.services_created += 1
        elif not existing.active:
            loaded.services_retired_kept += 1
        else:
            before = existing.version
            changes = {k: v for k, v in content.__dict__.items() if k != "slug"}
            updated = await actions.update_service(session, content.slug, changes)
            if updated.version != before:
                loaded.services_updated += 1
            else:
                loaded.services_unchanged += 1
    return loaded


async def load(settings: Settings, scale: int = 1) -> Loaded:
    url = settings.database_url("catalog")
    await ensure_database(url)
    await upgrade_async(MIGRATIONS, url)
    engine = make_engine(url, pool_size=1)
    sessionmaker = make_sessionmaker(engine)
    # The outbox names its producer from the session, as in the running service.
    sessionmaker.configure(info={"service": "catalog"})
    try:
        async with sessionmaker() as session:
            categories, services = catalog(scale)
            loaded = await upsert(session, categories, services)
            await session.commit()
        return loaded
    finally:
        await engine.dispose()


def command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sportello demo-data",
                                     description="Carica il catalogo dimostrativo (idempotente).")
    parser.add_argument("--scale", type=int, default=1,
                        help="copie del catalogo da caricare (per i benchmark; predefinito 1)")
    args = parser.parse_args(argv)
    if args.scale < 1:
        parser.error("--scale deve essere almeno 1")
    settings = get_settings()
    configure_logging("catalog", "WARNING", settings.log_json)
    loaded = asyncio.run(load(settings, args.scale))
    print(
        f"Catalogo dimostrativo: {loaded.categories_created} categorie create, "
        f"{loaded.services_created} servizi creati, {loaded.services_updated} aggiornati, "
        f"{loaded.services_unchanged} invariati"
        + (f", {loaded.services_retired_kept} ritirati lasciati ritirati"
           if loaded.services_retired_kept else "")
        + "."
    )
    return 0
