"""The catalog over HTTP against the real database: reads return what staff published."""

from __future__ import annotations

from sportello.testing import problem_fields, wait_for
from sqlalchemy import text


async def test_published_service_is_read_back_with_its_form_and_price_from(client, staff, category,
                                                                          unique, service_body):
    slug = unique("traduzione")
    r = await client.post("/api/staff/catalog/services", headers=staff, json=service_body(slug, category))
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1

    r = await client.get(f"/api/catalog/services/{slug}")
    assert r.status_code == 200
    body = r.json()
    assert body["slug"] == slug
    assert body["category"] == {"slug": category, "name": "Categoria di prova"}
    assert body["pricing_mode"] == "fixed"
    assert body["base_net_cents"] == 5000
    assert body["vat_rate_bp"] == 2200
    # from = base + 1 page × 25 € + the cheapest language; the optional urgency adds nothing.
    assert body["price_from_cents"] == 7500
    assert [f["name"] for f in body["form"]["fields"]] == ["pagine", "lingua", "urgente"]
    assert body["form"]["fields"][1]["options"][1] == {
        "value": "de", "label": "Tedesco", "price_cents": 1000, "percent_bp": 0}
    assert body["version"] == 1 and body["active"] is True


async def test_category_list_and_category_page_count_only_active_services(client, staff, category,
                                                                        unique, service_body):
    slugs = [unique("a"), unique("b"), unique("c")]
    for s in slugs:
        r = await client.post("/api/staff/catalog/services", headers=staff, json=service_body(s, category))
        assert r.status_code == 201
    r = await client.post(f"/api/staff/catalog/services/{slugs[2]}/retire", headers=staff)
    assert r.status_code == 200

    listed = {c["slug"]: c for c in (await client.get("/api/catalog/categories")).json()}
    assert listed[category] == {"slug": category, "name": "Categoria di prova",
                                "description": "Per i test.", "service_count": 2}
    page = (await client.get(f"/api/catalog/categories/{category}")).json()
    assert page["service_count"] == 2
    assert sorted(s["slug"] for s in page["services"]) == sorted(slugs[:2])
    assert (await client.get(f"/api/catalog/services/{slugs[2]}")).status_code == 404
    # Staff still see the retired one.
    staff_view = await client.get(f"/api/staff/catalog/services/{slugs[2]}", headers=staff)
    assert staff_view.json()["active"] is False
    # Staff's list holds every service, the retired one too, with its state and version.
    listed = (await client.get("/api/staff/catalog/services", headers=staff)).json()["items"]
    mine = {s["slug"]: s for s in listed if s["slug"] in slugs}
    assert set(mine) == set(slugs)
    assert mine[slugs[2]]["active"] is False and mine[slugs[2]]["version"] == 2
    assert mine[slugs[0]]["active"] is True and mine[slugs[0]]["category"]["slug"] == category


async def test_quote_service_has_no_price(client, staff, category, unique, service_body):
    slug = unique("su-misura")
    body = service_body(slug, category, pricing_mode="quote", base_net_cents=None)
    r = await client.post("/api/staff/catalog/services", headers=staff, json=body)
    assert r.status_code == 201, r.text
    got = (await client.get(f"/api/catalog/services/{slug}")).json()
    assert got["pricing_mode"] == "quote"
    assert got["base_net_cents"] is None and got["price_from_cents"] is None
    assert got["quote_allowed"] is True


async def test_text_search_is_italian_aware(client, staff, category, unique, service_body):
    slug = unique("trad")
    body = service_body(slug, category, name="Traduzione di un contratto",
                        short_description="Dall'inglese all'italiano.", description="")
    assert (await client.post("/api/staff/catalog/services", headers=staff, json=body)).status_code == 201
    other = unique("visura")
    body = service_body(other, category, name="Visura camerale", short_description="Documenti ufficiali.",
                        description="")
    assert (await client.post("/api/staff/catalog/services", headers=staff, json=body)).status_code == 201

    params = {"q": "traduzioni", "category": category}
    found = (await client.get("/api/catalog/services", params=params)).json()
    assert [s["slug"] for s in found["items"]] == [slug]
    assert found["items"][0]["category"]["slug"] == category
    # Plural and singular, name or text: "contratti" finds "contratto".
    found = (await client.get("/api/catalog/services", params={"q": "contratti"})).json()
    assert slug in [s["slug"] for s in found["items"]]
    nothing = (await client.get("/api/catalog/services", params={"q": "idraulico", "category": category}))
    assert nothing.status_code == 200 and nothing.json() == {"items": [], "next_cursor": None}


async def test_service_list_pages_with_a_cursor(client, staff, category, unique, service_body):
    slugs = sorted(unique(f"p{i}") for i in range(5))
    for s in slugs:
        r = await client.post("/api/staff/catalog/services", headers=staff,
                              json=service_body(s, category, name=f"Servizio {s}"))
        assert r.status_code == 201
    seen, cursor = [], None
    while True:
        params = {"category": category, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/catalog/services", params=params)).json()
        seen += [s["slug"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == slugs


async def test_bad_list_parameters_are_422_naming_the_parameter(client):
    r = await client.get("/api/catalog/services", params={"limit": 0})
    assert r.status_code == 422 and "limit" in problem_fields(r.json())
    r = await client.get("/api/catalog/services", params={"cursor": "not-a-cursor"})
    assert r.status_code == 422 and problem_fields(r.json()) == {"cursor": "Cursore non valido."}
    assert r.headers["content-type"] == "application/problem+json"


async def test_unknown_slugs_are_404(client):
    for path in ("/api/catalog/services/non-esiste", "/api/catalog/categories/non-esiste"):
        r = await client.get(path)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_invalid_form_definition_is_refused_field_by_field_and_nothing_is_created(
        client, staff, category, unique, service_body):
    slug = unique("rotto")
    form = {"fields": [
        {"name": "pagine", "label": "Pagine", "type": "number", "min": 10, "max": 1, "unit_price_cents": -5},
        {"name": "pagine", "label": "Di nuovo", "type": "text"},
        {"name": "lingua", "label": "Lingua", "type": "select", "options": []},
        {"name": "extra", "label": "Extra", "type": "checkbox", "price_cents": -100},
        {"name": "Nome Brutto", "label": "X", "type": "text"},
    ]}
    r = await client.post("/api/staff/catalog/services", headers=staff,
                          json=service_body(slug, category, form=form, vat_rate_bp=22))
    assert r.status_code == 422
    fields = problem_fields(r.json())
    assert set(fields) == {
        "vat_rate_bp", "form.fields.0.max", "form.fields.0.unit_price_cents", "form.fields.1.name",
        "form.fields.2.options", "form.fields.3.price_cents", "form.fields.4.name",
    }
    assert fields["form.fields.1.name"] == "Il nome del campo «pagine» è ripetuto."
    assert (await client.get(f"/api/catalog/services/{slug}")).status_code == 404


async def test_malformed_bodies_are_422_not_500(client, staff, category, unique, service_body):
    slug = unique("x")
    cases = [
        (service_body(slug, category, form={"fields": [{"name": "a", "label": "A", "type": "colore"}]}),
         "form.fields.0.type"),
        (service_body(slug, category, base_net_cents=-1), "base_net_cents"),
        (service_body(slug, category, prezzo=100), "prezzo"),
        (service_body(slug, category, pricing_mode="quote"), "base_net_cents"),
        (service_body(slug, category, base_net_cents=None), "base_net_cents"),
        (service_body("Slug Con Spazi", category), "slug"),
        (service_body(slug, "categoria-inesistente"), "category"),
        ({"slug": slug}, "name"),
    ]
    for body, field in cases:
        r = await client.post("/api/staff/catalog/services", headers=staff, json=body)
        assert r.status_code == 422, (field, r.text)
        assert field in problem_fields(r.json()), (field, r.json())
    r = await client.post("/api/staff/catalog/services", headers=staff, content=b"{not json",
                          )
    assert r.status_code == 422
    assert (await client.get(f"/api/catalog/services/{slug}")).status_code == 404


async def test_duplicate_slugs_are_409(client, staff, category, unique, service_body):
    slug = unique("doppio")
    assert (await client.post("/api/staff/catalog/services", headers=staff,
                              json=service_body(slug, category))).status_code == 201
    r = await client.post("/api/staff/catalog/services", headers=staff, json=service_body(slug, category))
    assert r.status_code == 409 and "slug" in problem_fields(r.json())
    r = await client.post("/api/staff/catalog/categories", headers=staff,
                          json={"slug": category, "name": "Doppia"})
    assert r.status_code == 409


async def test_writes_need_the_staff_role(client, customer, category, unique, service_body):
    slug = unique("vietato")
    writes = [
        ("POST", "/api/staff/catalog/services", service_body(slug, category)),
        ("PATCH", f"/api/staff/catalog/services/{slug}", {"name": "Nuovo"}),
        ("POST", f"/api/staff/catalog/services/{slug}/retire", None),
        ("POST", "/api/staff/catalog/categories", {"slug": unique("c"), "name": "C"}),
        ("PATCH", f"/api/staff/catalog/categories/{category}", {"name": "Rinominata"}),
        ("GET", "/api/staff/catalog/services", None),
    ]
    for method, path, body in writes:
        r = await client.request(method, path, headers=customer, json=body)
        assert r.status_code == 403, (path, r.text)
        r = await client.request(method, path, json=body)
        assert r.status_code == 401, (path, r.text)
    assert (await client.get(f"/api/catalog/services/{slug}")).status_code == 404
    page = (await client.get(f"/api/catalog/categories/{category}")).json()
    assert page["name"] == "Categoria di prova"


async def test_update_bumps_the_version_and_the_read_shows_it_at_once(client, staff, category, unique,
                                                                     service_body):
    slug = unique("modifica")
    await client.post("/api/staff/catalog/services", headers=staff, json=service_body(slug, category))
    before = await client.get(f"/api/catalog/services/{slug}")  # now cached
    r = await client.patch(f"/api/staff/catalog/services/{slug}", headers=staff,
                           json={"base_net_cents": 6000, "name": "Nome nuovo"})
    assert r.status_code == 200 and r.json()["version"] == 2
    after = (await client.get(f"/api/catalog/services/{slug}")).json()
    assert after["version"] == 2 and after["base_net_cents"] == 6000 and after["name"] == "Nome nuovo"
    assert after["price_from_cents"] == 8500
    assert before.json()["version"] == 1
    # The same content again is not a new version.
    r = await client.patch(f"/api/staff/catalog/services/{slug}", headers=staff, json={"name": "Nome nuovo"})
    assert r.json()["version"] == 2
    # An invalid patch changes nothing.
    r = await client.patch(f"/api/staff/catalog/services/{slug}", headers=staff,
                           json={"form": {"fields": [{"name": "s", "label": "S", "type": "radio"}]}})
    assert r.status_code == 422 and "form.fields.0.options" in problem_fields(r.json())
    assert (await client.get(f"/api/catalog/services/{slug}")).json()["version"] == 2


async def test_switching_to_quote_drops_the_price(client, staff, category, unique, service_body):
    slug = unique("diventa-preventivo")
    await client.post("/api/staff/catalog/services", headers=staff, json=service_body(slug, category))
    r = await client.patch(f"/api/staff/catalog/services/{slug}", headers=staff,
                           json={"pricing_mode": "quote"})
    assert r.status_code == 200, r.text
    assert r.json()["base_net_cents"] is None and r.json()["price_from_cents"] is None


async def test_retire_twice_is_409_and_reactivate_brings_it_back(client, staff, category, unique,
                                                                service_body):
    slug = unique("ritiro")
    await client.post("/api/staff/catalog/services", headers=staff, json=service_body(slug, category))
    r = await client.post(f"/api/staff/catalog/services/{slug}/retire", headers=staff)
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["active"] is False
    r = await client.post(f"/api/staff/catalog/services/{slug}/retire", headers=staff)
    assert r.status_code == 409
    r = await client.post(f"/api/staff/catalog/services/{slug}/reactivate", headers=staff)
    assert r.status_code == 200 and r.json()["version"] == 3
    assert (await client.get(f"/api/catalog/services/{slug}")).json()["active"] is True
    r = await client.post("/api/staff/catalog/services/non-esiste/retire", headers=staff)
    assert r.status_code == 404


async def test_category_rename_shows_on_its_services(client, staff, category, unique, service_body):
    slug = unique("rinomina")
    await client.post("/api/staff/catalog/services", headers=staff, json=service_body(slug, category))
    await client.get(f"/api/catalog/services/{slug}")
    r = await client.patch(f"/api/staff/catalog/categories/{category}", headers=staff,
                           json={"name": "Traduzioni e interpreti"})
    assert r.status_code == 200 and r.json()["name"] == "Traduzioni e interpreti"
    got = (await client.get(f"/api/catalog/services/{slug}")).json()
    assert got["category"]["name"] == "Traduzioni e interpreti" and got["version"] == 2


async def test_a_write_by_another_process_reaches_this_replicas_cache(client, category, unique,
                                                                     service_body, staff):
    """The demo command or another replica writes; this replica's cached page must follow."""
    slug = unique("altrove")
    await client.post("/api/staff/catalog/services", headers=staff, json=service_body(slug, category))
    assert (await client.get(f"/api/catalog/services/{slug}")).json()["name"] == "Traduzione giurata di prova"
    assert (await client.get(f"/api/catalog/services/{slug}")).headers["etag"]  # served from cache

    from sportello_catalog import actions

    # Another writer: its own session and commit, nothing told to this process but the NOTIFY.
    async with client.app.state.sessionmaker() as session:
        await actions.update_service(session, slug, {"name": "Scritto altrove"})
        await session.commit()

    async def renamed():
        return (await client.get(f"/api/catalog/services/{slug}")).json()["name"] == "Scritto altrove"

    await wait_for(renamed, timeout=5, message="cache invalidated by NOTIFY")


async def test_etag_answers_304_when_unchanged(client, staff, category, unique, service_body):
    slug = unique("etag")
    await client.post("/api/staff/catalog/services", headers=staff, json=service_body(slug, category))
    first = await client.get(f"/api/catalog/services/{slug}")
    etag = first.headers["etag"]
    again = await client.get(f"/api/catalog/services/{slug}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    await client.patch(f"/api/staff/catalog/services/{slug}", headers=staff, json={"name": "Cambiato"})
    changed = await client.get(f"/api/catalog/services/{slug}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["name"] == "Cambiato"


async def test_catalog_revision_moves_only_on_real_changes(client, staff, category, unique, service_body):
    slug = unique("rev")
    await client.post("/api/staff/catalog/services", headers=staff, json=service_body(slug, category))

    async def revision():
        async with client.app.state.sessionmaker() as session:
            return await session.scalar(text("SELECT revision FROM catalog_revision"))

    before = await revision()
    await client.patch(f"/api/staff/catalog/services/{slug}", headers=staff, json={"position": 0})
    assert await revision() == before


async def test_nul_bytes_and_odd_slugs_never_reach_the_database_as_500(client, staff, category, unique,
                                                                      service_body):
    for path in ("/api/catalog/services/a%00b", "/api/catalog/categories/a%00b",
                 "/api/staff/catalog/services/a%00b"):
        r = await client.get(path, headers=staff)
        assert r.status_code == 404, path
    r = await client.get("/api/catalog/services", params={"q": "tradu\x00zioni", "category": "a\x00"})
    assert r.status_code == 200 and r.json()["items"] == []
    r = await client.get("/api/catalog/services", params={"q": "\x00"})
    assert r.status_code == 200
    slug = unique("nul")
    r = await client.post("/api/staff/catalog/services", headers=staff,
                          json=service_body(slug, "cat\x00", name="Nome\x00"))
    assert r.status_code == 422 and {"name", "category"} <= set(problem_fields(r.json()))
    form = {"fields": [{"name": "a", "label": "Etichetta\x00", "type": "text"}]}
    r = await client.post("/api/staff/catalog/services", headers=staff,
                          json=service_body(slug, category, form=form))
    # Named down to the label that holds it.
    assert r.status_code == 422 and "form.fields.0.label" in problem_fields(r.json())
    r = await client.patch(f"/api/staff/catalog/categories/{category}", headers=staff,
                           json={"description": "\x00"})
    assert r.status_code == 422 and "description" in problem_fields(r.json())
    r = await client.post("/api/staff/catalog/services/a%00/retire", headers=staff)
    assert r.status_code == 404


async def test_a_form_that_could_price_a_line_above_a_million_is_refused(client, staff, category, unique,
                                                                        service_body):
    form = {"fields": [{"name": "ore", "label": "Ore", "type": "number", "min": 0, "max": 1_000_000,
                        "unit_price_cents": 1_000_000}]}
    r = await client.post("/api/staff/catalog/services", headers=staff,
                          json=service_body(unique("caro"), category, form=form))
    assert r.status_code == 422 and "form" in problem_fields(r.json())


async def test_losing_the_listen_connection_never_serves_a_stale_page(client, staff, category, unique,
                                                                     service_body):
    slug = unique("ascolto")
    await client.post("/api/staff/catalog/services", headers=staff, json=service_body(slug, category))
    await client.get(f"/api/catalog/services/{slug}")  # cached

    from sportello_catalog import actions
    from sportello_catalog.cache import APPLICATION_NAME

    async with client.app.state.sessionmaker() as session:
        killed = await session.scalar(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = :name"), {"name": APPLICATION_NAME})
        assert killed == 1
    # Written while this replica may not be listening: its NOTIFY can be lost.
    async with client.app.state.sessionmaker() as session:
        await actions.update_service(session, slug, {"name": "Dopo la caduta"})
        await session.commit()

    async def fresh():
        return (await client.get(f"/api/catalog/services/{slug}")).json()["name"] == "Dopo la caduta"

    # Well under the 5 s periodic check: the cache went off when the connection died.
    await wait_for(fresh, timeout=2, message="fresh page after the LISTEN connection died")
    await wait_for(lambda: client.app.state.catalog_cache.live, timeout=10, message="listening again")


async def test_a_vat_exemption_needs_a_zero_rate_and_a_known_key(client, staff, category, unique,
                                                                  service_body):
    slug = unique("esente")
    body = service_body(slug, category, vat_rate_bp=2200, vat_exemption="art10_n20")
    r = await client.post("/api/staff/catalog/services", headers=staff, json=body)
    assert r.status_code == 422 and "vat_exemption" in problem_fields(r.json())
    r = await client.post("/api/staff/catalog/services", headers=staff,
                          json={**body, "vat_rate_bp": 0, "vat_exemption": "art99"})
    assert r.status_code == 422 and "vat_exemption" in problem_fields(r.json())
    r = await client.post("/api/staff/catalog/services", headers=staff, json={**body, "vat_rate_bp": 0})
    assert r.status_code == 201, r.text
    detail = (await client.get(f"/api/catalog/services/{slug}")).json()
    assert detail["vat_exemption"] == "art10_n20"
    r = await client.patch(f"/api/staff/catalog/services/{slug}", headers=staff,
                           json={"vat_exemption": None})
    assert r.status_code == 200, r.text
    assert (await client.get(f"/api/catalog/services/{slug}")).json()["vat_exemption"] is None
