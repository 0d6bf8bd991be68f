"""Pages of the running storefront against the whole system (real gateway, services, database,
broker, payment sandbox): labels, prices, errors by field, session, CSRF."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import jwt
from sportello.contracts.legal import TERMS_VERSION
from sportello.contracts.people import PERSON_NAME_PROBLEM
from sportello.testing.forms import csrf_of, post_form
from sportello.tokens import TokenIssuer

from .conftest import local_shop, read_session, write_session

# Sito vetrina of the demo catalog: 900 € base, 90 € for each page over the five included,
# Italian only at no extra cost; the domain is a free answer.
ANSWERS = {"answers.pagine_extra": "3", "answers.lingue": "it", "answers.dominio": "rossi.it"}
# 900 + 3 × 90 = 1.170,00 € net; + 22 % = 1.427,40 €.
NET, GROSS = "1.170,00\xa0€", "1.427,40\xa0€"
PASSWORD = "password-lunga-1"
IBAN = "IT60X0542811101000000123456"  # the shop's account (settings.bank_iban)
GOOD_BILLING = {
    "customer_type": "privato", "first_name": "Mario", "last_name": "Rossi",
    "tax_code": "RSSMRA85T10A562S", "address.street": "Via Roma 1", "address.postal_code": "20121",
    "address.city": "Milano", "address.province": "MI", "address.country": "IT",
    "email": "mario@example.it",
}


async def register(shop, email: str | None = None) -> str:
    email = email or f"cliente-{uuid.uuid4().hex[:8]}@example.it"
    r = await post_form(shop, "/registrati", "/registrati", {
        "first_name": "Mario", "last_name": "Rossi", "email": email, "password": PASSWORD,
        "password_confirm": PASSWORD, "privacy_accepted": "on", "next": "/account"})
    assert r.status_code == 303, r.text
    return email


@asynccontextmanager
async def as_customer(system, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway's API, logged in as the customer (to look at what the pages did)."""
    async with httpx.AsyncClient(base_url=system.api, timeout=15) as client:
        r = await client.post("/accounts/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        yield client


def expired_like(system, access_token: str) -> str:
    """The same access token (same claims, same signing key) expired ten minutes ago."""
    claims = jwt.decode(access_token, options={"verify_signature": False})
    issuer = TokenIssuer(system.settings.model_copy(update={"access_token_minutes": -10}))
    extra = {k: v for k, v in claims.items()
             if k not in ("sub", "role", "email", "iss", "aud", "iat", "exp", "jti")}
    return issuer.access_token(uuid.UUID(claims["sub"]), claims["role"], claims.get("email"),
                               extra_claims=extra)


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
    assert "Servizi web" in r.text and ">Servizi<" in r.text and "IL MIO ACCOUNT" not in r.text
    assert r.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert (await shop.get("/healthz")).json() == {"status": "ok"}


async def test_service_page_shows_price_from_plus_vat_and_the_form(shop):
    r = await shop.get("/servizio/sito-vetrina")
    assert r.status_code == 200
    # 900 € base, the least answers cost nothing: 900,00 € + IVA; 1.098,00 € gross.
    assert "da 900,00\xa0€ + IVA" in r.text
    assert "1.098,00\xa0€ IVA inclusa" in r.text
    assert ">ACQUISTA<" in r.text and "Aggiungi al carrello" in r.text
    assert '<label for="campo-answers-dominio">Dominio desiderato' in r.text
    # 0 € base + 1 F24 (the least required answer) × 25 €: 25,00 € + IVA; 30,50 € gross.
    f24 = await shop.get("/servizio/invio-f24-ravvedimento")
    assert "da 25,00\xa0€ + IVA" in f24.text and "30,50\xa0€ IVA inclusa" in f24.text
    quote = await shop.get("/servizio/sito-su-misura")
    assert "su preventivo" in quote.text and "RICHIEDI PREVENTIVO" in quote.text
    assert (await shop.get("/servizio/non-esiste")).status_code == 404


async def test_an_exempt_service_is_priced_without_vat_on_its_page_its_category_and_the_cart(shop):
    # Corso privacy e GDPR: 120 € exempt under art. 10, n. 20 DPR 633/72 — there is no VAT to add.
    page = await shop.get("/servizio/corso-gdpr-aula")
    box = page.text.split('aria-label="Prezzo"', 1)[1].split("</aside>", 1)[0]
    assert "da 120,00\xa0€ esente IVA" in box and "+ IVA" not in box
    assert "Esente IVA art. 10, n. 20, DPR 633/72" in box
    assert 'data-vat-suffix="esente IVA"' in page.text
    card = (await shop.get("/servizi/formazione")).text.split("Corso privacy e GDPR", 1)[1][:600]
    assert "da 120,00\xa0€ esente IVA" in card and "IVA inclusa" not in card
    r = await post_form(shop, "/servizio/corso-gdpr-aula", "/servizio/corso-gdpr-aula",
                        {"answers.sede": "milano"})
    assert r.status_code == 303, r.text
    line = (await shop.get("/carrello")).text.split("Corso privacy e GDPR", 1)[1][:1500]
    assert "120,00\xa0€</strong> esente IVA" in line and "+ IVA" not in line
    # A taxed service keeps its "+ IVA".
    assert "+ IVA" in (await shop.get("/servizio/sito-vetrina")).text


async def test_missing_required_answer_is_shown_next_to_its_field_and_nothing_is_added(shop):
    # Audit SEO: the site's address is required, the number of pages too.
    r = await post_form(shop, "/servizio/audit-seo", "/servizio/audit-seo", {"answers.pagine": "3"})
    assert r.status_code == 422
    assert error_for(r.text, "answers.indirizzo_sito") == "Campo obbligatorio."
    assert error_for(r.text, "answers.pagine") is None
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
    assert NET in cart and GROSS in cart and "rossi.it" in cart
    assert "PROCEDI ALL&#39;ACQUISTO" in cart
    edit = re.search(r'href="(/servizio/sito-vetrina\?riga=[^"]+)"', cart).group(1)
    page = (await shop.get(edit)).text
    assert 'value="rossi.it"' in page and "Salva le modifiche" in page
    line_id = re.search(r'name="line_id" value="([^"]+)"', page).group(1)
    r = await shop.post("/servizio/sito-vetrina", data={
        **ANSWERS, "answers.urgente": "on", "line_id": line_id, "csrf_token": csrf_of(page)})
    assert r.status_code == 303
    cart = (await shop.get("/carrello")).text
    # +30 % for delivery in 10 days: 1.170 × 1,3 = 1.521,00 € net, one line only.
    assert "1.521,00\xa0€" in cart and cart.count("?riga=") == 1
    assert "Consegna in 10 giorni" in cart


async def test_checkout_asks_to_log_in_and_keeps_the_cart(shop, system):
    await post_form(shop, "/servizio/sito-vetrina", "/servizio/sito-vetrina", ANSWERS)
    r = await shop.get("/checkout")
    assert r.status_code == 303 and r.headers["location"].startswith("/accedi?next=")
    email = await register(shop)
    # The anonymous cart was merged into the customer's own cart on the cart service.
    async with as_customer(system, email) as api:
        lines = (await api.get("/cart")).json()["lines"]
    assert [ln["answers"].get("dominio") for ln in lines] == ["rossi.it"]
    cart = (await shop.get("/carrello")).text
    assert "rossi.it" in cart and NET in cart


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
                                                     "terms_version": TERMS_VERSION,
                                                     "csrf_token": csrf_of(payment)})
    assert r.status_code == 303
    done = await shop.get(r.headers["location"])
    assert re.search(r"SP-\d{4}-\d{6}", done.text) and IBAN in done.text
    assert GROSS in done.text
    orders = (await shop.get("/account/ordini")).text
    assert "I MIEI ORDINI" in orders and "In attesa di pagamento" in orders


async def test_card_checkout_sends_the_customer_to_the_provider_with_a_return_url(shop, system):
    await post_form(shop, "/servizio/sito-vetrina", "/servizio/sito-vetrina", ANSWERS)
    await register(shop)
    await post_form(shop, "/checkout/fatturazione", "/checkout/fatturazione", GOOD_BILLING)
    r = await post_form(shop, "/checkout/pagamento", "/checkout/completa",
                        {"payment_method": "card", "terms_version": TERMS_VERSION})
    sandbox = system.settings.payment_sandbox_url.rstrip("/")
    assert r.status_code == 303 and r.headers["location"].startswith(f"{sandbox}/pay/")
    # The provider's session (its own API) was opened with the shop's return address.
    session_id = r.headers["location"].rsplit("/", 1)[1]
    async with httpx.AsyncClient(timeout=10) as client:
        session = (await client.get(f"{sandbox}/v1/sessions/{session_id}")).json()
    storefront = system.settings.storefront_url.rstrip("/")
    assert session["return_url"] == f"{storefront}/ordini/{session['order_id']}/esito"


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
        "email": email, "password": PASSWORD, "next": "//evil.example/x"})
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
                        {"payment_method": "bank_transfer", "terms_version": TERMS_VERSION})
    order_id = r.headers["location"].split("/")[2]
    page = await shop.get(f"/account/ordini/{order_id}")
    assert page.status_code == 200
    for text in ("Sito vetrina", GROSS, "In attesa di pagamento", "RSSMRA85T10A562S", IBAN,
                 "Annulla l'ordine"):
        assert text in page.text, text


async def test_an_expired_access_token_is_refreshed_server_side(system):
    async with local_shop(system.settings, system.settings.gateway_url) as shop:
        email = await register(shop)
        # The access token in the visitor's session expires (the real token, ten minutes past
        # its expiry): the gateway refuses it, the storefront must refresh with the refresh
        # token, retry, and the page must just work.
        session = read_session(system.settings, shop)
        access_token, refresh_token = session["access_token"], session["refresh_token"]
        write_session(system.settings, shop, {**session, "access_token": expired_like(system, access_token)})
        r = await shop.get("/account/profilo")
        assert r.status_code == 200 and email in r.text
        renewed = read_session(system.settings, shop)
    assert renewed["refresh_token"] != refresh_token and renewed["access_token"] != access_token
    # The old refresh token was spent on accounts' refresh endpoint by the storefront.
    async with httpx.AsyncClient(base_url=system.api, timeout=10) as api:
        spent = await api.post("/accounts/refresh", json={"refresh_token": refresh_token})
    assert spent.status_code == 401


async def test_a_refused_refresh_logs_out_and_asks_to_log_in(system):
    async with local_shop(system.settings, system.settings.gateway_url) as shop:
        await register(shop)
        session = read_session(system.settings, shop)
        # Accounts revokes the refresh token and the access token expires.
        async with httpx.AsyncClient(base_url=system.api, timeout=10) as api:
            r = await api.post("/accounts/logout", json={"refresh_token": session["refresh_token"]})
            assert r.status_code == 204
        write_session(system.settings, shop, {
            **session, "access_token": expired_like(system, session["access_token"])})
        r = await shop.get("/account/ordini")
        assert r.status_code == 303 and r.headers["location"] == "/accedi?next=%2Faccount%2Fordini"
        assert "IL MIO ACCOUNT" not in (await shop.get("/")).text  # the session forgot the tokens


def test_cookies_are_secure_outside_localhost():
    from sportello_storefront.settings import StorefrontSettings

    assert not StorefrontSettings(storefront_url="http://127.0.0.1:8080").cookie_secure
    assert StorefrontSettings(storefront_url="https://shop.example.it").cookie_secure
    assert StorefrontSettings(storefront_url="http://shop.example.it").cookie_secure


async def test_the_visitor_address_reaches_the_gateway_for_its_rate_limits(system, limited_gateway):
    # A real gateway allowing 2 logins a minute per address; two visitors of one storefront.
    login = {"email": "nessuno@example.it", "password": "sbagliata-123"}
    async with local_shop(system.settings, limited_gateway, visitor="203.0.113.18") as first:
        for _ in range(2):
            assert (await post_form(first, "/accedi", "/accedi", login)).status_code == 401
        assert (await post_form(first, "/accedi", "/accedi", login)).status_code == 429
    # Another visitor of the same storefront is counted on their own address, not the
    # storefront's: the gateway still lets them try.
    async with local_shop(system.settings, limited_gateway, visitor="203.0.113.81") as second:
        r = await post_form(second, "/accedi", "/accedi", login)
    assert r.status_code == 401 and "Email o password non corretti." in r.text


async def test_a_rate_limited_login_gets_a_friendly_page_with_retry_after(system, limited_gateway):
    login = {"email": "a@example.it", "password": "x"}
    async with local_shop(system.settings, limited_gateway, visitor="203.0.113.19") as shop:
        for _ in range(2):
            await post_form(shop, "/accedi", "/accedi", login)
        r = await post_form(shop, "/accedi", "/accedi", login)
    assert r.status_code == 429
    # The gateway's wait (a login comes back every 30 s), not the storefront's 60 s fallback.
    retry_after = r.headers["retry-after"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 30
    assert f"riprova tra {retry_after} secondi" in r.text and "Traceback" not in r.text


async def test_a_double_submitted_checkout_places_one_order(shop, system):
    await post_form(shop, "/servizio/sito-vetrina", "/servizio/sito-vetrina", ANSWERS)
    email = await register(shop)
    await post_form(shop, "/checkout/fatturazione", "/checkout/fatturazione", GOOD_BILLING)
    page = (await shop.get("/checkout/pagamento")).text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    form = {"payment_method": "bank_transfer", "csrf_token": csrf_of(page), "idempotency_key": key,
            "terms_version": TERMS_VERSION}
    first, second = await shop.post("/checkout/completa", data=form), \
        await shop.post("/checkout/completa", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    async with as_customer(system, email) as api:
        orders = (await api.get("/orders")).json()["items"]
    assert len(orders) == 1


QUANTITY_ACTION = re.compile(r'action="(/carrello/([^"/]+)/quantita)"')


async def test_changing_a_line_quantity_reprices_the_line_and_the_totals(shop):
    await post_form(shop, "/servizio/sito-vetrina", "/servizio/sito-vetrina", ANSWERS)
    cart = (await shop.get("/carrello")).text
    action, line_id = QUANTITY_ACTION.search(cart).groups()
    assert f'<label for="quantita-{line_id}">Quantità' in cart and ">Aggiorna</button>" in cart
    r = await shop.post(action, data={"quantity": "2", "csrf_token": csrf_of(cart)})
    assert r.status_code == 303 and r.headers["location"] == "/carrello"
    cart = (await shop.get("/carrello")).text
    # 2 × 1.170,00 = 2.340,00 € net; + 22 % = 2.854,80 € gross, on the line and in the totals.
    assert "Quantità aggiornata." in cart and f'id="quantita-{line_id}"' in cart
    assert re.search(rf'id="quantita-{line_id}"[^>]*value="2"', cart, re.S)
    line = cart[cart.index('<li class="line">'):cart.index("</li>")]
    assert "2.340,00\xa0€" in line and "2.854,80\xa0€" in line
    totals = cart[cart.index('<dl class="totals">'):]
    assert "2.340,00\xa0€" in totals and "514,80\xa0€" in totals and "2.854,80\xa0€" in totals


async def test_a_quantity_out_of_range_is_refused_next_to_its_line(shop):
    await post_form(shop, "/servizio/sito-vetrina", "/servizio/sito-vetrina", ANSWERS)
    cart = (await shop.get("/carrello")).text
    action, line_id = QUANTITY_ACTION.search(cart).groups()
    for typed in ("0", "101", "due"):
        r = await shop.post(action, data={"quantity": typed, "csrf_token": csrf_of(cart)})
        assert r.status_code == 422, typed
        line = r.text[r.text.index('<li class="line">'):r.text.index("</li>")]
        assert (f'id="errore-quantita-{line_id}" role="alert">'
                "La quantità deve essere un numero intero da 1 a 100.<") in line
        assert f'aria-describedby="errore-quantita-{line_id}"' in line
        assert NET in line and GROSS in line
    cart = (await shop.get("/carrello")).text
    assert NET in cart and GROSS in cart and "errore-quantita" not in cart
    assert re.search(rf'id="quantita-{line_id}"[^>]*value="1"', cart, re.S)


def cart_link(html: str) -> str:
    return re.search(r'<a href="/carrello"[^>]*>.*?</a>', html, re.S).group(0)


async def test_the_header_counts_the_cart_lines_for_visitors_and_customers(shop):
    assert cart_link((await shop.get("/")).text) == '<a href="/carrello">Carrello</a>'
    await post_form(shop, "/servizio/sito-vetrina", "/servizio/sito-vetrina", ANSWERS)
    link = cart_link((await shop.get("/servizi")).text)
    assert 'aria-label="Carrello, 1 servizio"' in link and "Carrello <span" in link
    assert "(1)" in link
    await post_form(shop, "/servizio/audit-seo", "/servizio/audit-seo",
                    {"answers.indirizzo_sito": "https://rossi.it", "answers.pagine": "3"})
    assert 'aria-label="Carrello, 2 servizi"' in cart_link((await shop.get("/")).text)
    # Signing up moves the lines into the customer's cart: the count follows them.
    email = await register(shop)
    assert "(2)" in cart_link((await shop.get("/")).text)
    await post_form(shop, "/", "/esci", {})
    assert cart_link((await shop.get("/")).text) == '<a href="/carrello">Carrello</a>'
    await post_form(shop, "/accedi", "/accedi", {"email": email, "password": PASSWORD})
    assert 'aria-label="Carrello, 2 servizi"' in cart_link((await shop.get("/")).text)


async def test_a_line_of_an_accepted_quote_keeps_its_quantity(shop, system):
    from sportello.testing import wait_for

    from .shop_steps import StaffApi

    await post_form(shop, "/servizio/sito-su-misura", "/servizio/sito-su-misura",
                    {"answers.progetto": "Un portale di prenotazioni.", "answers.budget": "5k-15k"})
    email = await register(shop)
    r = await post_form(shop, "/preventivo/richiesta", "/preventivo/richiesta", {})
    assert r.status_code == 303, r.text
    quote_id = r.headers["location"].rsplit("/", 1)[1]
    staff = StaffApi(system)

    async def issued():
        try:
            return await staff.issue_quote(quote_id, 200000, note="Tre mesi di assistenza.")
        except (AssertionError, httpx.HTTPError):
            return None  # the quote is not recorded yet (event-driven)

    await wait_for(issued, timeout=15, interval=0.3, message="quote issued")
    r = await post_form(shop, f"/account/preventivi/{quote_id}",
                        f"/account/preventivi/{quote_id}/accetta", {"revision": "1"})
    assert r.status_code == 303 and r.headers["location"] == "/carrello"
    cart = (await shop.get("/carrello")).text
    assert "Prezzo da preventivo" in cart and "2.000,00\xa0€" in cart
    assert "Quantità" not in cart and "/quantita" not in cart  # no quantity control on it
    async with as_customer(system, email) as api:
        line_id = (await api.get("/cart")).json()["lines"][0]["id"]
    r = await shop.post(f"/carrello/{line_id}/quantita", data={"quantity": "3",
                                                               "csrf_token": csrf_of(cart)})
    assert r.status_code == 409
    assert "Questa riga viene da un preventivo accettato" in r.text
    async with as_customer(system, email) as api:
        line = (await api.get("/cart")).json()["lines"][0]
    assert line["quantity"] == 1 and line["net_cents"] == 200000


async def _quoted(shop, system, price: int, slug: str = "sito-su-misura",
                  answers: dict | None = None, billing: dict | None = None) -> tuple[str, str]:
    from sportello.testing import wait_for

    from .shop_steps import StaffApi

    await post_form(shop, f"/servizio/{slug}", f"/servizio/{slug}",
                    answers or {"answers.progetto": "Un portale.", "answers.budget": "5k-15k"})
    email = await register(shop)
    r = await post_form(shop, "/preventivo/richiesta", "/preventivo/richiesta", {})
    quote_id = r.headers["location"].rsplit("/", 1)[1]
    staff = StaffApi(system)

    async def issued():
        try:
            return await staff.issue_quote(quote_id, price, note="Prima proposta.",
                                           billing=billing)
        except (AssertionError, httpx.HTTPError):
            return None

    await wait_for(issued, timeout=15, interval=0.3, message="quote issued")
    return quote_id, email


async def test_the_quote_of_an_exempt_course_shows_no_vat_the_note_and_the_bollo(shop, system):
    # Formazione aziendale su misura: quote only, exempt (art. 10 n. 20 DPR 633/72).
    quote_id, _ = await _quoted(shop, system, 150000, slug="formazione-su-misura", answers={
        "answers.argomento": "Primo soccorso", "answers.partecipanti": "6",
        "answers.modalita": "sede"})
    page = (await shop.get(f"/account/preventivi/{quote_id}")).text
    assert "esente IVA" in page and "Esente IVA art. 10, n. 20, DPR 633/72" in page
    assert re.search(r"Imposta di bollo</dt><dd>2,00\xa0€", page)
    # 1.500,00 € exempt + 2,00 € bollo.
    assert "1.502,00\xa0€" in page


async def test_the_quote_of_an_eu_business_shows_no_italian_vat_and_the_reverse_charge(shop,
                                                                                      system):
    german = {"customer_type": "azienda", "company_name": "Beispiel GmbH",
              "vat_number": "DE136695976", "email": "einkauf@beispiel.de",
              "address": {"street": "Friedrichstraße 1", "postal_code": "10117",
                          "city": "Berlin", "country": "DE"}}
    quote_id, _ = await _quoted(shop, system, 200000, billing=german)
    page = (await shop.get(f"/account/preventivi/{quote_id}")).text
    # The line says no Italian VAT, not "+ IVA" nor a "con IVA" amount equal to the net.
    assert "</strong> IVA non applicata</p>" in page
    assert "</strong> + IVA</p>" not in page and "IVA inclusa</p>" not in page
    assert "IVA: inversione contabile, art. 7-ter DPR 633/72" in page
    assert re.search(r"Totale da pagare</dt><dd>2.000,00\xa0€", page)


async def test_accept_accepts_the_revision_the_customer_read_not_a_dearer_one(shop, system):
    from .shop_steps import StaffApi

    quote_id, email = await _quoted(shop, system, 100000)
    page = (await shop.get(f"/account/preventivi/{quote_id}")).text
    assert 'name="revision" value="1"' in page
    # Staff re-issue it dearer while the customer reads revision 1.
    await StaffApi(system).issue_quote(quote_id, 300000, note="Seconda proposta.")
    r = await shop.post(f"/account/preventivi/{quote_id}/accetta",
                        data={"revision": "1", "csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"] == f"/account/preventivi/{quote_id}"
    async with as_customer(system, email) as api:
        assert (await api.get("/cart")).json()["lines"] == []
        assert (await api.get(f"/quotes/{quote_id}")).json()["status"] == "quoted"
    # Having seen revision 2, the customer accepts it at its price.
    r = await post_form(shop, f"/account/preventivi/{quote_id}",
                        f"/account/preventivi/{quote_id}/accetta", {"revision": "2"})
    assert r.headers["location"] == "/carrello"
    assert "3.000,00\xa0€" in (await shop.get("/carrello")).text


async def test_an_unknown_order_outcome_page_is_a_quick_404(shop):
    import time

    await register(shop)
    start = time.monotonic()
    r = await shop.get(f"/ordini/{uuid.uuid4()}/esito?esito=ok")
    assert r.status_code == 404 and time.monotonic() - start < 1.0


async def test_crafted_ids_never_reach_another_api_path_nor_log_the_visitor_out(shop):
    await register(shop)
    for path in ("/account/ordini/..%2F..%2Fcatalog%2Fcategories%2F", "/account/ordini/a%3Fx",
                 "/account/ordini/%2e%2e", "/servizio/%2e%2e"):
        r = await shop.get(path)
        assert r.status_code == 404, (path, r.status_code)
    # Still logged in.
    assert (await shop.get("/account")).status_code == 200


async def test_metrics_are_not_served_to_anyone_through_a_proxy(shop):
    assert (await shop.get("/metrics")).status_code == 200  # the scraper, straight to the pod
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
        r = await shop.get("/metrics", headers={header: "203.0.113.7"})
        assert r.status_code == 404 and "sportello_http" not in r.text, header


async def test_a_name_with_a_line_break_is_refused_next_to_its_field_on_registration(shop):
    email = f"cliente-{uuid.uuid4().hex[:8]}@example.it"
    r = await post_form(shop, "/registrati", "/registrati", {
        "first_name": "Mario\r\nBcc: x@example.com", "last_name": "Rossi", "email": email,
        "password": PASSWORD, "password_confirm": PASSWORD, "privacy_accepted": "on"})
    assert r.status_code == 422, r.status_code
    assert error_for(r.text, "first_name") in ("Il testo contiene caratteri non ammessi.",
                                               PERSON_NAME_PROBLEM)
