"""Pages rendered against the fake gateway: labels, prices, errors by field, session, CSRF."""

from __future__ import annotations

import re
import uuid

from .conftest import csrf_of, post_form

ANSWERS = {"answers.pages": "3", "answers.domain": "rossi.it", "answers.speed": "normale"}
GOOD_BILLING = {
    "customer_type": "privato", "first_name": "Mario", "last_name": "Rossi",
    "tax_code": "RSSMRA85T10A562S", "address.street": "Via Roma 1", "address.postal_code": "20121",
    "address.city": "Milano", "address.province": "MI", "address.country": "IT",
    "email": "mario@example.it",
}


async def register(shop, email: str | None = None) -> str:
    email = email or f"cliente-{uuid.uuid4().hex[:8]}@example.it"
    r = await post_form(shop, "/registrati", "/registrati", {
        "first_name": "Mario", "last_name": "Rossi", "email": email, "password": "password-lunga-1",
        "password_confirm": "password-lunga-1", "privacy_accepted": "on", "next": "/account"})
    assert r.status_code == 303, r.text
    return email


def error_for(html: str, field: str) -> str | None:
    """The error shown next to a field, if the field points at it with aria-describedby."""
    dashed = field.replace(".", "-")
    field_tag = re.search(rf'<[^>]*id="campo-{re.escape(dashed)}"[^>]*>', html)
    assert field_tag, f"no field {field}"
    if f"errore-{dashed}" not in field_tag.group(0) or 'aria-invalid="true"' not in field_tag.group(0):
        return None
    msg = re.search(rf'id="errore-{re.escape(dashed)}" role="alert">([^<]+)<', html)
    return msg.group(1) if msg else None


async def test_home_lists_the_categories_with_italian_labels_and_secure_headers(shop):
    r = await shop.get("/")
    assert r.status_code == 200
    assert "Siti e app" in r.text and ">Servizi<" in r.text and "IL MIO ACCOUNT" not in r.text
    assert r.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert (await shop.get("/healthz")).json() == {"status": "ok"}


async def test_service_page_shows_price_from_plus_vat_and_the_form(shop):
    r = await shop.get("/servizio/sito-vetrina")
    assert r.status_code == 200
    # 500 € base + 1 page × 50 € (the least required answer): 550,00 € + IVA; 671,00 € gross.
    assert "da 550,00\xa0€ + IVA" in r.text
    assert "671,00\xa0€ IVA inclusa" in r.text
    assert ">ACQUISTA<" in r.text and "Aggiungi al carrello" in r.text
    assert '<label for="campo-answers-domain">Dominio desiderato' in r.text
    quote = await shop.get("/servizio/app-su-misura")
    assert "su preventivo" in quote.text and "RICHIEDI PREVENTIVO" in quote.text
    assert (await shop.get("/servizio/non-esiste")).status_code == 404


async def test_missing_required_answer_is_shown_next_to_its_field_and_nothing_is_added(shop):
    r = await post_form(shop, "/servizio/sito-vetrina", "/servizio/sito-vetrina",
                        {"answers.pages": "3", "answers.speed": "normale"})
    assert r.status_code == 422
    assert error_for(r.text, "answers.domain") == "Campo obbligatorio."
    assert error_for(r.text, "answers.pages") is None
    assert 'value="3"' in r.text  # what the customer typed is kept
    assert "Il carrello è vuoto." in (await shop.get("/carrello")).text


async def test_a_form_without_its_csrf_token_is_refused(shop):
    await shop.get("/servizio/sito-vetrina")
    r = await shop.post("/servizio/sito-vetrina", data={**ANSWERS, "csrf_token": "falso"})
    assert r.status_code == 400 and "Modulo scaduto" in r.text
    assert "Il carrello è vuoto." in (await shop.get("/carrello")).text


async def test_cart_line_is_corrected_from_the_service_page(shop):
    r = await post_form(shop, "/servizio/sito-vetrina", "/servizio/sito-vetrina", ANSWERS)
    assert r.status_code == 303 and r.headers["location"] == "/carrello"
    cart = (await shop.get("/carrello")).text
    # 500 + 3 × 50 = 650,00 € + 22 % = 793,00 €.
    assert "650,00\xa0€" in cart and "793,00\xa0€" in cart and "rossi.it" in cart
    assert "PROCEDI ALL&#39;ACQUISTO" in cart
    edit = re.search(r'href="(/servizio/sito-vetrina\?riga=[^"]+)"', cart).group(1)
    page = (await shop.get(edit)).text
    assert 'value="rossi.it"' in page and "Salva le modifiche" in page
    line_id = re.search(r'name="line_id" value="([^"]+)"', page).group(1)
    r = await shop.post("/servizio/sito-vetrina", data={
        **ANSWERS, "answers.speed": "urgente", "line_id": line_id, "csrf_token": csrf_of(page)})
    assert r.status_code == 303
    cart = (await shop.get("/carrello")).text
    # +30 % urgency: 650 × 1.3 = 845,00 € net, one line only.
    assert "845,00\xa0€" in cart and cart.count("?riga=") == 1 and "Urgente" in cart


async def test_checkout_asks_to_log_in_and_keeps_the_cart(shop, fake_gateway):
    await post_form(shop, "/servizio/sito-vetrina", "/servizio/sito-vetrina", ANSWERS)
    r = await shop.get("/checkout")
    assert r.status_code == 303 and r.headers["location"].startswith("/accedi?next=")
    await register(shop)
    assert ("POST", "/api/cart/merge") in fake_gateway.state.fake.calls
    cart = (await shop.get("/carrello")).text
    assert "rossi.it" in cart and "650,00\xa0€" in cart


async def test_bad_codice_fiscale_is_shown_next_to_the_field(shop):
    await post_form(shop, "/servizio/sito-vetrina", "/servizio/sito-vetrina", ANSWERS)
    await register(shop)
    page = await shop.get("/checkout/fatturazione")
    assert "Dati di Fatturazione" in page.text and 'value="Mario"' in page.text
    r = await shop.post("/checkout/fatturazione", data={
        **GOOD_BILLING, "tax_code": "RSSMRA85T10A562X", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 422
    assert error_for(r.text, "tax_code") == "Il codice fiscale non è valido."
    assert error_for(r.text, "address.postal_code") is None
    assert (await shop.get("/checkout/pagamento")).headers["location"] == "/checkout/fatturazione"


async def test_bank_transfer_checkout_shows_the_order_and_the_transfer_details(shop):
    await post_form(shop, "/servizio/sito-vetrina", "/servizio/sito-vetrina", ANSWERS)
    await register(shop)
    r = await post_form(shop, "/checkout/fatturazione", "/checkout/fatturazione", GOOD_BILLING)
    assert r.headers["location"] == "/checkout/pagamento"
    payment = (await shop.get("/checkout/pagamento")).text
    assert "COMPLETA L&#39;ACQUISTO" in payment and "RSSMRA85T10A562S" in payment
    r = await shop.post("/checkout/completa", data={"payment_method": "bank_transfer",
                                                     "csrf_token": csrf_of(payment)})
    assert r.status_code == 303
    done = await shop.get(r.headers["location"])
    assert "SP-2026-" in done.text and "IT60X0542811101000000123456" in done.text
    assert "793,00\xa0€" in done.text
    orders = (await shop.get("/account/ordini")).text
    assert "I MIEI ORDINI" in orders and "In attesa di pagamento" in orders


async def test_card_checkout_sends_the_customer_to_the_provider_with_a_return_url(shop, fake_gateway):
    await post_form(shop, "/servizio/sito-vetrina", "/servizio/sito-vetrina", ANSWERS)
    await register(shop)
    await post_form(shop, "/checkout/fatturazione", "/checkout/fatturazione", GOOD_BILLING)
    r = await post_form(shop, "/checkout/pagamento", "/checkout/completa", {"payment_method": "card"})
    assert r.status_code == 303 and r.headers["location"].startswith("http://pay.invalid/")
    order = next(o for o in fake_gateway.state.fake.orders.values() if o.get("return_url"))
    assert order["return_url"] == f"http://127.0.0.1:8080/ordini/{order['id']}/esito"


async def test_account_pages_need_login_and_others_orders_are_not_found(shop):
    for path in ("/account", "/account/ordini", "/account/preventivi", "/account/profilo",
                 "/account/fatturazione", "/account/privacy", f"/account/ordini/{uuid.uuid4()}"):
        r = await shop.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/accedi?next=%2Faccount"), path
    await register(shop)
    r = await shop.get(f"/account/ordini/{uuid.uuid4()}")
    assert r.status_code == 404 and "Pagina non trovata" in r.text
    account = (await shop.get("/account")).text
    for label in ("I MIEI ORDINI", "I MIEI PREVENTIVI", "PROFILO", "DATI DI FATTURAZIONE",
                  "INFORMAZIONI PRIVACY"):
        assert label in account


async def test_login_with_a_wrong_password_says_so_in_italian(shop):
    email = await register(shop)
    await post_form(shop, "/", "/esci", {})
    r = await post_form(shop, "/accedi", "/accedi", {"email": email, "password": "sbagliata-123"})
    assert r.status_code == 401 and "Email o password non corretti." in r.text


async def test_login_never_redirects_off_site(shop):
    email = await register(shop)
    await post_form(shop, "/", "/esci", {})
    r = await post_form(shop, "/accedi", "/accedi", {
        "email": email, "password": "password-lunga-1", "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == "/account"


def test_every_template_compiles():
    from sportello_storefront.web import HERE, templates

    names = [p.relative_to(HERE / "templates").as_posix()
             for p in (HERE / "templates").rglob("*.html")]
    assert len(names) > 20
    for name in names:
        templates.env.get_template(name)


async def test_order_detail_shows_lines_history_and_billing(shop):
    await post_form(shop, "/servizio/sito-vetrina", "/servizio/sito-vetrina", ANSWERS)
    await register(shop)
    await post_form(shop, "/checkout/fatturazione", "/checkout/fatturazione", GOOD_BILLING)
    r = await post_form(shop, "/checkout/pagamento", "/checkout/completa",
                        {"payment_method": "bank_transfer"})
    order_id = r.headers["location"].split("/")[2]
    page = await shop.get(f"/account/ordini/{order_id}")
    assert page.status_code == 200
    for text in ("Sito vetrina", "793,00\xa0€", "In attesa di pagamento", "RSSMRA85T10A562S",
                 "IT60X0542811101000000123456", "Annulla l'ordine"):
        assert text in page.text, text


async def test_an_expired_access_token_is_refreshed_server_side(shop, fake_gateway):
    email = await register(shop)
    fake = fake_gateway.state.fake
    # The gateway forgets every access token of this customer (as if they expired): the
    # storefront must refresh with the refresh token, retry, and the page must just work.
    access_token, refresh_token = [t for t, e in fake.tokens.items() if e == email]
    fake.tokens.pop(access_token)
    assert refresh_token in fake.tokens
    calls = len(fake.calls)
    r = await shop.get("/account/profilo")
    assert r.status_code == 200 and email in r.text
    assert ("POST", "/api/accounts/refresh") in fake.calls[calls:]


async def test_a_refused_refresh_logs_out_and_asks_to_log_in(shop, fake_gateway):
    email = await register(shop)
    fake = fake_gateway.state.fake
    for token in [t for t, e in fake.tokens.items() if e == email]:
        fake.tokens.pop(token)
    r = await shop.get("/account/ordini")
    assert r.status_code == 303 and r.headers["location"] == "/accedi?next=%2Faccount%2Fordini"
    assert "IL MIO ACCOUNT" not in (await shop.get("/")).text  # the session forgot the tokens


def test_cookies_are_secure_outside_localhost():
    from sportello_storefront.settings import StorefrontSettings

    assert not StorefrontSettings(storefront_url="http://127.0.0.1:8080").cookie_secure
    assert StorefrontSettings(storefront_url="https://shop.example.it").cookie_secure
    assert StorefrontSettings(storefront_url="http://shop.example.it").cookie_secure


async def test_the_visitor_address_reaches_the_gateway_for_its_rate_limits(shop, fake_gateway):
    fake = fake_gateway.state.fake
    calls = len(fake.forwarded_for)
    await shop.get("/servizio/sito-vetrina")
    # httpx's ASGI transport presents the visitor as 127.0.0.1.
    assert fake.forwarded_for[calls:] == ["127.0.0.1"]


async def test_a_rate_limited_login_gets_a_friendly_page_with_retry_after(shop, fake_gateway):
    fake = fake_gateway.state.fake
    fake.rate_limited.add("/api/accounts/login")
    try:
        r = await post_form(shop, "/accedi", "/accedi", {"email": "a@example.it", "password": "x"})
    finally:
        fake.rate_limited.discard("/api/accounts/login")
    assert r.status_code == 429 and r.headers["retry-after"] == "7"
    assert "riprova tra 7 secondi" in r.text and "Traceback" not in r.text


async def test_a_double_submitted_checkout_places_one_order(shop, fake_gateway):
    await post_form(shop, "/servizio/sito-vetrina", "/servizio/sito-vetrina", ANSWERS)
    email = await register(shop)
    await post_form(shop, "/checkout/fatturazione", "/checkout/fatturazione", GOOD_BILLING)
    page = (await shop.get("/checkout/pagamento")).text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    form = {"payment_method": "bank_transfer", "csrf_token": csrf_of(page), "idempotency_key": key}
    first, second = await shop.post("/checkout/completa", data=form), \
        await shop.post("/checkout/completa", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    fake = fake_gateway.state.fake
    owner = fake.accounts[email]["id"]
    assert len([o for o in fake.orders.values() if o["owner"] == owner]) == 1
