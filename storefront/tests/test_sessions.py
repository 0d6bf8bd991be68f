"""Issue 17 in the shop: server-side sessions renewed at login and ended at logout, each visitor
behind the ingress counted on their own address, the password hint from the one rule, names that
are names, the link that confirms an address."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

import httpx
from sportello.contracts.people import MIN_PASSWORD_LENGTH
from sportello.testing import wait_for
from sportello.testing.forms import csrf_of, post_form

from .conftest import SESSION_COOKIE, local_shop, read_session
from .test_pages import PASSWORD, as_customer, register


async def test_the_session_lives_on_the_server_and_is_new_at_login(shop, system):
    anonymous = await shop.get("/accedi")
    before_id, before_csrf = shop.cookies[SESSION_COOKIE], csrf_of(anonymous.text)
    email = f"sessione-{before_id[:6].lower()}@example.it"
    r = await post_form(shop, "/registrati", "/registrati", {
        "first_name": "Mario", "last_name": "Rossi", "email": email, "password": PASSWORD,
        "password_confirm": PASSWORD, "privacy_accepted": "on", "next": "/account"})
    assert r.status_code == 303
    # A new id and a new CSRF token: whoever planted or saw the anonymous cookie gets nothing.
    after_id = shop.cookies[SESSION_COOKIE]
    assert after_id != before_id
    assert csrf_of((await shop.get("/account")).text) != before_csrf
    # The cookie is only an id; the tokens are on the server. It lives as long as a login may.
    assert len(after_id) <= 64 and "." not in after_id
    assert read_session(system.settings, shop)["refresh_token"]
    assert f"Max-Age={system.settings.session_absolute_hours * 3600}" in r.headers["set-cookie"]
    async with httpx.AsyncClient(base_url=system.settings.storefront_url, timeout=15,
                                 cookies={SESSION_COOKIE: before_id}) as planted:
        r = await planted.get("/account")
    assert r.status_code == 303 and r.headers["location"].startswith("/accedi")


async def test_a_copy_of_the_cookie_taken_before_logout_is_useless_after_it(shop, system):
    await register(shop)
    copy = shop.cookies[SESSION_COOKIE]
    assert (await shop.get("/account/profilo")).status_code == 200
    assert (await post_form(shop, "/", "/esci", {})).status_code == 303
    async with httpx.AsyncClient(base_url=system.settings.storefront_url, timeout=15,
                                 cookies={SESSION_COOKIE: copy}) as thief:
        r = await thief.get("/account/profilo")
    assert r.status_code == 303 and r.headers["location"].startswith("/accedi")


async def _login_page_post(shop, data: dict, where: dict) -> httpx.Response:
    html = (await shop.get("/accedi", headers=where)).text
    return await shop.post("/accedi", headers=where, data={**data, "csrf_token": csrf_of(html)})


async def test_each_visitor_behind_the_ingress_has_their_own_limit(system, limited_gateway):
    # The storefront behind an ingress at 10.9.8.7 (trusted), a gateway allowing 2 logins a
    # minute per client address: two visitors are two buckets, not the ingress's one.
    login = {"email": "nessuno@example.it", "password": "sbagliata-123"}
    first, second = {"X-Forwarded-For": "203.0.113.50"}, {"X-Forwarded-For": "203.0.113.51"}
    async with local_shop(system.settings, limited_gateway, visitor="10.9.8.7",
                          trusted_proxies=["10.9.8.7/32"]) as shop:
        codes = [(await _login_page_post(shop, login, first)).status_code for _ in range(3)]
        assert codes == [401, 401, 429]
        # A visitor cannot escape by writing their own entry left of the ingress's.
        forged = {"X-Forwarded-For": "198.51.100.77, 203.0.113.50"}
        assert (await _login_page_post(shop, login, forged)).status_code == 429
        r = await _login_page_post(shop, login, second)
        assert r.status_code == 401 and "Email o password non corretti." in r.text
    # From a peer that is not the ingress, the header is not believed at all.
    async with local_shop(system.settings, limited_gateway, visitor="203.0.113.60",
                          trusted_proxies=["10.9.8.7/32"]) as outsider:
        codes = [(await _login_page_post(outsider, login, {"X-Forwarded-For": f"192.0.2.{i}"})
                  ).status_code for i in range(3)]
    assert codes == [401, 401, 429]


async def test_the_password_hint_says_what_the_rule_is(shop):
    assert MIN_PASSWORD_LENGTH == 10
    hint = f"Almeno {MIN_PASSWORD_LENGTH} caratteri."
    for page in ("/registrati", "/reimposta-password?token=x"):
        html = (await shop.get(page)).text
        assert hint in html and "Almeno 8" not in html, page
    await register(shop)
    assert hint in (await shop.get("/account/profilo")).text
    # A 9-character password is refused with the same number.
    r = await post_form(shop, "/registrati", "/registrati", {
        "first_name": "Anna", "last_name": "Neri", "email": "anna.neri@example.it",
        "password": "corta-123", "password_confirm": "corta-123", "privacy_accepted": "on"})
    assert r.status_code == 422 and "almeno 10 caratteri" in r.text


async def test_a_name_carrying_a_link_is_refused_next_to_its_field(shop):
    r = await post_form(shop, "/registrati", "/registrati", {
        "first_name": "Mario, il tuo account è bloccato: vai su http://evil.example/sblocca",
        "last_name": "Rossi", "email": "phishing@example.it", "password": PASSWORD,
        "password_confirm": PASSWORD, "privacy_accepted": "on"})
    assert r.status_code == 422
    assert "Il nome può contenere solo lettere" in r.text


async def test_the_link_in_the_welcome_email_confirms_the_address(shop, system):
    email = await register(shop)
    async with httpx.AsyncClient(base_url=system.settings.mail_sink_url, timeout=10) as sink:
        async def welcome():
            r = await sink.get("/api/messages", params={"to": email, "subject": "Benvenuto"})
            return r.json()["items"]

        [mail] = await wait_for(welcome, timeout=20, message="the welcome email")
    token = unquote(re.search(r"/conferma-email\?token=([^\s]+)", mail["text"]).group(1))
    page = await shop.get(f"/conferma-email?token={quote(token, safe='')}")
    assert page.status_code == 200 and "Conferma l'indirizzo email" in page.text
    r = await shop.post("/conferma-email", data={"token": token, "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    assert "Indirizzo email confermato." in (await shop.get(r.headers["location"])).text
    async with as_customer(system, email) as api:
        assert (await api.get("/accounts/me")).json()["email_confirmed"] is True
    # The link works once.
    again = await shop.post("/conferma-email",
                            data={"token": token, "csrf_token": csrf_of(page.text)})
    assert again.status_code == 400 and "non è valido o è scaduto" in again.text
