"""What other services hear: one `catalog.service.*` event per publish, with the whole service."""

from __future__ import annotations

from sportello.contracts.events import ServicePublished, ServiceRetired
from sportello.testing import EventTap


def _of(slug: str):
    def match(data: dict) -> bool:
        return data.get("service", {}).get("slug") == slug or data.get("slug") == slug
    return match


async def test_create_publishes_the_whole_service_once_with_version_1(client, settings, staff, category,
                                                                     unique, service_body):
    slug = unique("evento")
    body = service_body(slug, category, quote_allowed=True)
    async with EventTap(settings, "catalog.service.*") as tap:
        r = await client.post("/api/staff/catalog/services", headers=staff, json=body)
        assert r.status_code == 201
        [event] = await tap.wait_for("catalog.service.published", _of(slug))
    assert event.producer == "catalog"
    snapshot = ServicePublished.model_validate(event.data).service
    assert snapshot.version == 1 and snapshot.active is True
    assert snapshot.category.slug == category and snapshot.category.name == "Categoria di prova"
    assert (snapshot.name, snapshot.short_description, snapshot.description) == (
        body["name"], body["short_description"], body["description"])
    assert snapshot.pricing_mode == "fixed" and snapshot.base_net_cents == 5000
    assert snapshot.vat_rate_bp == 2200 and snapshot.quote_allowed is True
    # The cart prices lines with this form: every attribute must travel.
    pages, language, urgent = snapshot.form.fields
    assert (pages.min, pages.max, pages.unit_price_cents, pages.required) == (1, 100, 2500, True)
    assert [(o.value, o.price_cents) for o in language.options] == [("en", 0), ("de", 1000)]
    assert urgent.percent_bp == 3000


async def test_each_real_change_is_one_event_with_the_next_version(client, settings, staff, category,
                                                                  unique, service_body):
    slug = unique("versioni")
    async with EventTap(settings, "catalog.service.*") as tap:
        await client.post("/api/staff/catalog/services", headers=staff, json=service_body(slug, category))
        path = f"/api/staff/catalog/services/{slug}"
        await client.patch(path, headers=staff, json={"base_net_cents": 9000})
        # Same content: no publish.
        await client.patch(path, headers=staff, json={"base_net_cents": 9000})
        # Refused: no publish.
        r = await client.patch(path, headers=staff, json={"vat_rate_bp": 1})
        assert r.status_code == 422
        await client.post(f"/api/staff/catalog/services/{slug}/retire", headers=staff)
        [retired] = await tap.wait_for("catalog.service.retired", _of(slug))
        await client.post(f"/api/staff/catalog/services/{slug}/reactivate", headers=staff)
        published = await tap.wait_for("catalog.service.published", _of(slug), count=3)
    versions = [ServicePublished.model_validate(e.data).service.version for e in published]
    assert sorted(versions) == [1, 2, 4]
    assert ServiceRetired.model_validate(retired.data) == ServiceRetired(slug=slug, version=3)
    latest = ServicePublished.model_validate(published[versions.index(2)].data).service
    assert latest.base_net_cents == 9000
    assert len(tap.of_type("catalog.service.retired")) == 1


async def test_renaming_a_category_republishes_its_services(client, settings, staff, category, unique,
                                                            service_body):
    slug = unique("categoria")
    await client.post("/api/staff/catalog/services", headers=staff, json=service_body(slug, category))
    async with EventTap(settings, "catalog.service.published") as tap:
        r = await client.patch(f"/api/staff/catalog/categories/{category}", headers=staff,
                               json={"name": "Nuovo nome"})
        assert r.status_code == 200
        [event] = await tap.wait_for("catalog.service.published", _of(slug))
    snapshot = ServicePublished.model_validate(event.data).service
    assert snapshot.category.name == "Nuovo nome" and snapshot.version == 2
