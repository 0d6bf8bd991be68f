"""Catalogo in the running back office: staff build a service with a priced form (add a field,
an option, a preview priced as the cart prices it), save it with the catalog's errors next to
the builder's field, publish and retire it; categories are edited; bad input is never a 500."""

from __future__ import annotations

import uuid

from sportello.testing.forms import post_form

from .conftest import staff_login

NBSP_EURO = "\xa0€"


def _service(slug: str) -> dict[str, str]:
    return {"name": "Logo lampo", "slug": slug, "category": "servizi-web",
            "short_description": "Un logo in 48 ore.", "description": "Tre proposte.",
            "pricing_mode": "fixed", "price": "100,00", "vat_rate": "2200", "vat_exemption": ""}


def _delivery(name: str = "consegna") -> dict[str, str]:
    return {"fields.0.type": "radio", "fields.0.label": "Consegna", "fields.0.name": name,
            "fields.0.required": "on",
            "fields.0.options.0.label": "Standard", "fields.0.options.0.value": "standard",
            "fields.0.options.1.label": "Urgente", "fields.0.options.1.value": "urgente",
            "fields.0.options.1.price": "50,00", "fields.0.options.1.percent": "10"}


async def test_staff_build_a_priced_form_preview_it_and_publish_it(office, api, system):
    await staff_login(office, system)
    listing = (await office.get("/catalogo")).text
    assert "Servizi web" in listing and "Sito vetrina" in listing
    slug = f"logo-{uuid.uuid4().hex[:8]}"
    page = "/catalogo/servizi/nuovo?categoria=servizi-web"
    action = "/catalogo/servizi/nuovo"

    r = await post_form(office, page, action, {**_service(slug), "azione": "aggiungi",
                                               "nuovo_tipo": "radio"})
    assert r.status_code == 200 and "Campo 1: Scelta tra opzioni" in r.text
    assert 'value="Opzione 1"' in r.text
    # Each move comes back scrolled to the field it moved (a fragment on the form's address).
    assert 'value="opzione:0" formaction="/catalogo/servizi/nuovo#campo-0"' in r.text
    r = await post_form(office, page, action, {**_service(slug), **_delivery(),
                                               "azione": "opzione:0"})
    assert "Testo dell&#39;opzione 3 del campo 1 «Consegna»" in r.text

    # The preview: the shop's form, priced as the cart will price it: (100 + 50) € + 10 %.
    r = await post_form(office, page, action, {**_service(slug), **_delivery(),
                                               "answers.consegna": "urgente", "azione": "anteprima"})
    assert r.status_code == 200
    assert 'name="answers.consegna" value="urgente" checked' in r.text
    assert f"165,00{NBSP_EURO} + IVA" in r.text and f"201,30{NBSP_EURO} IVA inclusa" in r.text

    # The catalog refuses a bad field name: its message next to that builder input.
    r = await post_form(office, page, action, {**_service(slug), **_delivery("Consegna!"),
                                               "azione": "salva"})
    assert r.status_code == 422
    assert 'id="errore-fields-0-name"' in r.text and "deve iniziare con una lettera minuscola" in r.text
    r = await post_form(office, page, action, {**_service(slug), **_delivery(), "azione": "salva"})
    assert r.status_code == 303 and r.headers["location"] == f"/catalogo/servizi/{slug}"
    shown = (await office.get(r.headers["location"])).text
    assert "Servizio «Logo lampo» pubblicato (versione 1)." in shown
    published = (await api.get(f"/api/catalog/services/{slug}")).json()
    assert published["form"]["fields"][0]["options"][1] == {
        "value": "urgente", "label": "Urgente", "price_cents": 5000, "percent_bp": 1000}

    path = f"/catalogo/servizi/{slug}"
    r = await post_form(office, path, f"{path}/ritira", {})
    assert r.status_code == 303
    assert "ritirato: nel negozio non si vede più" in (await office.get(path)).text
    assert (await api.get(f"/api/catalog/services/{slug}")).status_code == 404
    assert "Ritirato" in (await office.get("/catalogo")).text
    r = await post_form(office, path, f"{path}/pubblica", {})
    assert "pubblicato: è di nuovo nel negozio" in (await office.get(path)).text
    assert (await api.get(f"/api/catalog/services/{slug}")).status_code == 200


async def test_staff_edit_a_category_and_its_errors_show_next_to_the_field(office, api, system):
    await staff_login(office, system)
    slug = f"cat-{uuid.uuid4().hex[:8]}"
    r = await post_form(office, "/catalogo", "/catalogo/categorie",
                        {"new.name": "Grafica", "new.slug": slug, "new.description": "Loghi."})
    assert r.status_code == 303
    assert "Categoria «Grafica» creata." in (await office.get("/catalogo")).text
    r = await post_form(office, "/catalogo", "/catalogo/categorie",
                        {"new.name": "Doppia", "new.slug": slug, "new.description": ""})
    assert r.status_code == 409 and 'id="errore-new-slug"' in r.text
    r = await post_form(office, "/catalogo", f"/catalogo/categorie/{slug}",
                        {f"{slug}.name": "Grafica e loghi", f"{slug}.description": "Loghi."})
    assert r.status_code == 303
    assert (await api.get(f"/api/catalog/categories/{slug}")).json()["name"] == "Grafica e loghi"


async def test_odd_builder_input_is_a_page_never_a_500(office, system):
    await staff_login(office, system)
    page, action = "/catalogo/servizi/nuovo", "/catalogo/servizi/nuovo"
    for data in ({"azione": "su:99"}, {"azione": "rimuovi-opzione:0:x", "fields.0.type": "boh"},
                 {"fields.7.type": "number", "fields.7.max": "dieci", "azione": "anteprima"},
                 {**_service("x"), "price": "cento", "azione": "salva"}):
        r = await post_form(office, page, action, data)
        assert r.status_code in (200, 422), (data, r.text[:300])
    assert "Indica un importo in euro, ad esempio 12,50." in r.text
    assert (await office.get("/catalogo/servizi/non-esiste")).status_code == 404


async def test_without_a_staff_login_catalogo_is_not_reachable(office):
    for path in ("/catalogo", "/catalogo/servizi/nuovo", "/catalogo/servizi/sito-vetrina"):
        r = await office.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/accedi?next="), path
