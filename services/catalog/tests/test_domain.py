"""The catalog's rules without a database: validity, lifecycle, snapshot, the demo's prices."""

from __future__ import annotations

import pytest
from sportello.contracts.forms import FormDefinition, price_answers
from sportello.errors import Conflict
from sportello_catalog import domain
from sportello_catalog.demo import catalog
from sportello_catalog.demo_data import SERVICES
from sportello_catalog.domain import ServiceContent, Status


def content(**overrides) -> ServiceContent:
    base = dict(slug="sito-vetrina", category="servizi-web", name="Sito vetrina", short_description="",
                description="", pricing_mode="fixed", base_net_cents=90000, vat_rate_bp=2200,
                form=FormDefinition())
    return ServiceContent(**{**base, **overrides})


def fields_of(c: ServiceContent) -> set[str]:
    return {e.field for e in domain.service_errors(c)}


def test_a_plain_fixed_service_is_valid():
    assert domain.service_errors(content()) == []


@pytest.mark.parametrize("overrides, field", [
    ({"slug": "Sito Vetrina"}, "slug"),
    ({"slug": "sito--vetrina"}, "slug"),
    ({"base_net_cents": None}, "base_net_cents"),
    ({"pricing_mode": "quote"}, "base_net_cents"),
    ({"base_net_cents": -1}, "base_net_cents"),
    ({"vat_rate_bp": 22}, "vat_rate_bp"),
    ({"form": FormDefinition.model_validate(
        {"fields": [{"name": "n", "label": "N", "type": "number", "min": -3, "max": 5,
                     "unit_price_cents": 100}]})}, "form.fields.0.min"),
    ({"form": FormDefinition.model_validate(
        {"fields": [{"name": f"f{i}", "label": "F", "type": "text"} for i in range(41)]})}, "form.fields"),
])
def test_invalid_content_names_the_field(overrides, field):
    assert field in fields_of(content(**overrides))


def test_quote_service_without_price_is_valid_and_has_no_price_from():
    c = content(pricing_mode="quote", base_net_cents=None)
    assert domain.service_errors(c) == []
    assert domain.price_from_cents(c) is None
    assert domain.effective_quote_allowed(c) is True


def test_switching_to_quote_drops_the_base_price_unless_one_is_sent():
    assert domain.apply_patch(content(), {"pricing_mode": "quote"}).base_net_cents is None
    sent = domain.apply_patch(content(), {"pricing_mode": "quote", "base_net_cents": 100})
    assert "base_net_cents" in fields_of(sent)


def test_same_content_read_back_from_storage_is_not_a_change():
    c = content(form=FormDefinition.model_validate(
        {"fields": [{"name": "a", "label": "A", "type": "checkbox", "price_cents": 100}]}))
    stored = FormDefinition.model_validate(domain.form_json(c.form))
    assert c.same_as(content(form=stored))
    assert not c.same_as(content(form=stored, name="Altro"))


def test_lifecycle_table():
    assert domain.transition(Status.ACTIVE, Status.RETIRED) == Status.RETIRED
    assert domain.transition(Status.RETIRED, Status.ACTIVE) == Status.ACTIVE
    with pytest.raises(Conflict):
        domain.transition(Status.RETIRED, Status.RETIRED)
    with pytest.raises(Conflict):
        domain.transition(Status.ACTIVE, Status.ACTIVE)


def test_snapshot_carries_everything_the_cart_needs():
    s = domain.snapshot(content(quote_allowed=True), "Servizi web", version=3, active=True)
    assert (s.slug, s.category.slug, s.category.name, s.version) == ("sito-vetrina", "servizi-web",
                                                                    "Servizi web", 3)
    assert (s.base_net_cents, s.vat_rate_bp, s.quote_allowed, s.active) == (90000, 2200, True, True)


# --- the demo catalog ---


def test_demo_catalog_is_valid_and_believable():
    categories, services = catalog()
    assert len(categories) >= 5 and len(services) >= 20
    for s in services:
        assert domain.service_errors(s) == [], s.slug
        assert s.category in {c["slug"] for c in categories}
    assert len({s.slug for s in services}) == len(services)
    assert sum(s.pricing_mode == "quote" for s in services) >= 3
    assert {s.vat_rate_bp for s in services} == {0, 2200}


def test_scaled_demo_catalog_has_distinct_copies():
    categories, services = catalog(10)
    assert len(services) == 10 * len(SERVICES) == len({s.slug for s in services})
    assert len(categories) == 10 * len({c["slug"] for c in catalog()[0]})


def _demo(slug: str) -> ServiceContent:
    return next(s for s in SERVICES if s.slug == slug)


@pytest.mark.parametrize("slug, answers, unit_net_cents", [
    # 10 pages × 25 €, standard delivery
    ("traduzione-per-pagina", {"pagine": 10, "lingue": "it-en", "consegna": "standard"}, 25000),
    # … urgent: +30 %
    ("traduzione-per-pagina", {"pagine": 10, "lingue": "it-en", "consegna": "urgente"}, 32500),
    # … Arabic (+50 %) and urgent (+30 %): percentages add up on the subtotal
    ("traduzione-per-pagina", {"pagine": 10, "lingue": "it-asia", "consegna": "urgente"}, 45000),
    # 900 € + 2 extra pages × 90 € + Italian and English 300 € + blog 250 €, then +30 % urgency
    ("sito-vetrina", {"pagine_extra": 2, "lingue": "it-en", "blog": True, "urgente": True}, 211900),
    # a package select plus products to load
    ("e-commerce", {"pacchetto": "business", "prodotti_da_caricare": 200}, 430000),
    # per participant, high risk course, VAT exempt service
    ("corso-sicurezza-lavoratori", {"rischio": "alto", "sede": "roma", "partecipante": "Mario Rossi"},
     18000),
])
def test_demo_answers_change_the_price(slug, answers, unit_net_cents):
    service = _demo(slug)
    priced, errors = price_answers(service.form, service.base_net_cents, answers)
    assert errors == []
    assert priced.unit_net_cents == unit_net_cents
