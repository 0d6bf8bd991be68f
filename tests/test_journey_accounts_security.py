"""Issue 17, as an attacker and as the customer see it through the gateway: password re-checks
are counted, guesses from elsewhere never lock the owner out, an erased account and an ended
session stop at once everywhere, security emails reach the (old) address, names are names."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import datetime
from urllib.parse import unquote

import asyncpg
import httpx
from journeys_kit import BILLING, DICHIARAZIONE, PASSWORD, add_line, login, new_email, register
from sportello.contracts.legal import TERMS_VERSION
from sportello.db import asyncpg_dsn
from sportello.testing import problem_fields, wait_for

WRONG = "non-e-la-mia-password"
_hosts = itertools.count(1)


def source() -> dict[str, str]:
    """A client address of its own, as a proxy in front would name it (loopback is trusted)."""
    n = next(_hosts)
    return {"X-Forwarded-For": f"198.18.{n // 256}.{n % 256}"}


async def try_login(api, email: str, password: str, where: dict) -> int:
    r = await api.post("/api/accounts/login", headers=where,
                       json={"email": email, "password": password})
    return r.status_code


def link_token(mail: dict, path: str) -> str:
    match = re.search(re.escape(path) + r"\?token=([^\s\"<]+)", mail["text"])
    assert match, mail["text"]
    return unquote(match.group(1))


# --- 1. password re-checks ---------------------------------------------------------------------


async def test_wrong_current_passwords_are_counted_per_account_then_refused(api):
    customer = await register(api)
    h = customer.headers
    tries = [
        ("POST", "/api/accounts/me/password", {"current_password": WRONG,
                                               "new_password": "Nuova-password-2026"}),
        ("DELETE", "/api/accounts/me", {"password": WRONG}),
        ("PATCH", "/api/accounts/me", {"email": new_email(), "current_password": WRONG}),
    ]
    codes = [(await api.request(m, p, headers=h, json=b)).status_code
             for m, p, b in tries + tries[:2]]
    assert codes == [422] * 5   # the default: 5 wrong re-checks per account and window
    refused = await api.request(*tries[0][:2], headers=h, json=tries[0][2])
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    # Even the right password waits now: the guesser holding the session learns nothing more.
    right = await api.post("/api/accounts/me/password", headers=h, json={
        "current_password": PASSWORD, "new_password": "Nuova-password-2026"})
    assert right.status_code == 429
    assert (await api.get("/api/accounts/me", headers=h)).status_code == 200
    assert await try_login(api, customer.email, PASSWORD, source()) == 200


# --- 2. no lockout of the owner ----------------------------------------------------------------


async def test_guesses_from_elsewhere_never_lock_the_owner_out(api):
    customer = await register(api)
    home = source()
    assert await try_login(api, customer.email, PASSWORD, home) == 200
    attacker = source()
    assert [await try_login(api, customer.email, WRONG, attacker) for _ in range(6)] == \
        [401] * 5 + [429]
    # The owner gets in, from home and from a new place: only the guessing source is refused.
    assert await try_login(api, customer.email, PASSWORD, home) == 200
    assert await try_login(api, customer.email, PASSWORD, source()) == 200
    # Guessing spread over many addresses meets the ceiling per email (25 tries a window, the
    # attacker's 6 above included)...
    for _ in range(19):
        assert await try_login(api, customer.email, WRONG, source()) == 401
    assert await try_login(api, customer.email, PASSWORD, source()) == 429
    # ...which the owner's known address does not count against.
    assert await try_login(api, customer.email, PASSWORD, home) == 200


async def test_reset_requests_from_elsewhere_never_block_the_owners_reset(api, sink):
    customer = await register(api)
    attacker = source()
    codes = [(await api.post("/api/accounts/password-reset", headers=attacker,
                             json={"email": customer.email})).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    mine = await api.post("/api/accounts/password-reset", headers=source(),
                          json={"email": customer.email})
    assert mine.status_code == 202
    mails = await sink.wait(customer.email, "Reimposta la tua password", count=4)
    token = link_token(mails[-1], "/reimposta-password")
    done = await api.post("/api/accounts/password-reset/confirm",
                          json={"token": token, "new_password": "Ricomincio-da-capo-26"})
    assert done.status_code == 204


# --- 4. an erased account stops at once ----------------------------------------------------------


async def test_an_erased_account_cannot_shop_on_with_its_token(api, system):
    customer = await register(api)
    await add_line(api, customer.headers, DICHIARAZIONE, {"modello": "730"})
    gone = await api.request("DELETE", "/api/accounts/me", headers=customer.headers,
                             json={"password": PASSWORD})
    assert gone.status_code == 204
    # The very next requests with the same, unexpired token: refused at the edge...
    add = await api.post("/api/cart/items", headers=customer.headers,
                         json={"service_slug": DICHIARAZIONE, "answers": {"modello": "730"}})
    assert add.status_code == 401
    checkout = await api.post("/api/cart/checkout",
                              headers={**customer.headers, "Idempotency-Key": uuid.uuid4().hex},
                              json={"billing": BILLING,
                                    "terms_version": TERMS_VERSION, "payment_method": "card"})
    assert checkout.status_code == 401
    for path in ("/api/orders", "/api/quotes", "/api/accounts/me"):
        assert (await api.get(path, headers=customer.headers)).status_code == 401, path
    # ...and by every service reached directly, bypassing the gateway.
    for service in ("cart", "orders", "quotes", "accounts"):
        base = system.settings.service_url(service)
        path = {"cart": "/api/cart", "orders": "/api/orders", "quotes": "/api/quotes",
                "accounts": "/api/accounts/me"}[service]
        async with httpx.AsyncClient(base_url=base, timeout=10) as direct:
            assert (await direct.get(path, headers=customer.headers)).status_code == 401, service


# --- 5. ended sessions stop within a second ------------------------------------------------------


async def _refused_within_a_second(api, headers, path="/api/accounts/me"):
    async def refused():
        return (await api.get(path, headers=headers)).status_code == 401

    await wait_for(refused, timeout=1.0, interval=0.02, message=f"{path} refused")


async def test_logout_and_password_change_end_access_tokens_everywhere(api, system):
    customer = await register(api)
    first = await login(api, customer.email, PASSWORD)
    second = await login(api, customer.email, PASSWORD)
    third = await login(api, customer.email, PASSWORD)
    bearer = {k: {"Authorization": f"Bearer {t['access_token']}"}
              for k, t in (("first", first), ("second", second), ("third", third))}

    assert (await api.post("/api/accounts/logout",
                           json={"refresh_token": first["refresh_token"]})).status_code == 204
    await _refused_within_a_second(api, bearer["first"])
    assert (await api.get("/api/cart", headers=bearer["first"])).status_code == 401
    async with httpx.AsyncClient(base_url=system.settings.cart_url, timeout=10) as cart:
        assert (await cart.get("/api/cart", headers=bearer["first"])).status_code == 401
    assert (await api.get("/api/accounts/me", headers=bearer["second"])).status_code == 200

    # A password change ends the other sessions, their access tokens included.
    changed = await api.post("/api/accounts/me/password", headers=bearer["second"], json={
        "current_password": PASSWORD, "new_password": "Nuova-password-2026"})
    assert changed.status_code == 204
    await _refused_within_a_second(api, bearer["third"], "/api/cart")
    assert (await api.get("/api/cart", headers=bearer["second"])).status_code == 200


async def test_a_session_ends_after_its_idle_and_absolute_limits(api, system):
    customer = await register(api)
    pair = await login(api, customer.email, PASSWORD)
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    export = (await api.get("/api/accounts/me/export", headers=headers)).json()
    sessions = [s for s in export["sessions"] if s["revoked_at"] is None]
    assert sessions
    for session in sessions:
        started = datetime.fromisoformat(session["started_at"])
        expires = datetime.fromisoformat(session["expires_at"])
        # Idle limit: a refresh token left unused for 30 minutes no longer works.
        assert 29 * 60 <= (expires - started).total_seconds() <= 31 * 60
    # Absolute limit: 12 hours after the login no refresh works, however active.
    conn = await asyncpg.connect(asyncpg_dsn(system.settings.database_url("accounts")))
    try:
        await conn.execute("UPDATE refresh_tokens SET family_started_at = now() - interval "
                           "'12 hours 1 minute' WHERE account_id = $1", uuid.UUID(customer.id))
    finally:
        await conn.close()
    r = await api.post("/api/accounts/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401


# --- 6. security emails, confirmed addresses -----------------------------------------------------


async def test_changing_the_password_or_resetting_it_tells_the_address(api, sink):
    customer = await register(api)
    changed = await api.post("/api/accounts/me/password", headers=customer.headers, json={
        "current_password": PASSWORD, "new_password": "Nuova-password-2026"})
    assert changed.status_code == 204
    [notice] = await sink.wait(customer.email, "La password del tuo account è stata modificata")
    assert "Se non sei stato tu" in notice["text"] and "cambiata" in notice["text"]

    await api.post("/api/accounts/password-reset", headers=source(), json={"email": customer.email})
    [mail] = await sink.wait(customer.email, "Reimposta la tua password")
    done = await api.post("/api/accounts/password-reset/confirm", json={
        "token": link_token(mail, "/reimposta-password"), "new_password": "Terza-password-2026"})
    assert done.status_code == 204
    notices = await sink.wait(customer.email, "La password del tuo account è stata modificata",
                              count=2)
    assert any("reimpostata" in n["text"] and "Se non sei stato tu" in n["text"] for n in notices)


async def test_a_new_email_becomes_the_login_only_once_its_link_is_opened(api, sink):
    customer = await register(api)
    new = new_email("nuovo")
    asked = await api.patch("/api/accounts/me", headers=customer.headers,
                            json={"email": new, "current_password": PASSWORD})
    assert asked.status_code == 200, asked.text
    assert (asked.json()["email"], asked.json()["pending_email"]) == (customer.email, new)
    [notice] = await sink.wait(customer.email, "Richiesta di modifica dell'indirizzo email")
    assert "Se non sei stato tu" in notice["text"] and new in notice["text"]
    [link] = await sink.wait(new, "Conferma il tuo nuovo indirizzo email")
    # Until the link is opened the old address is still the login and the contact.
    assert await try_login(api, new, PASSWORD, source()) == 401
    assert await try_login(api, customer.email, PASSWORD, source()) == 200
    confirmed = await api.post("/api/accounts/email/confirm",
                               json={"token": link_token(link, "/conferma-email")})
    assert confirmed.status_code == 200 and confirmed.json()["email"] == new
    assert await try_login(api, new, PASSWORD, source()) == 200
    assert await try_login(api, customer.email, PASSWORD, source()) == 401


async def test_marketing_consent_counts_only_for_a_confirmed_address(api, sink):
    email = new_email()
    r = await api.post("/api/accounts/register", json={
        "email": email, "password": PASSWORD, "first_name": "Mario", "last_name": "Rossi",
        "privacy_accepted": True, "marketing_consent": True})
    assert r.status_code == 201
    headers = {"Authorization": f"Bearer {(await login(api, email, PASSWORD))['access_token']}"}
    privacy = (await api.get("/api/accounts/me/privacy", headers=headers)).json()
    assert (privacy["marketing_consent"], privacy["marketing_consent_pending"]) == (False, True)
    [welcome] = await sink.wait(email, "Benvenuto")
    confirmed = await api.post("/api/accounts/email/confirm",
                               json={"token": link_token(welcome, "/conferma-email")})
    assert confirmed.status_code == 200
    privacy = (await api.get("/api/accounts/me/privacy", headers=headers)).json()
    assert (privacy["marketing_consent"], privacy["marketing_consent_pending"]) == (True, False)


# --- 7. names are names --------------------------------------------------------------------------


async def test_names_are_names_and_company_names_hold_no_control_characters(api, sink):
    email = new_email()
    phishing = "Mario, il tuo account è bloccato: vai su http://evil.example/sblocca"
    r = await api.post("/api/accounts/register", json={
        "email": email, "password": PASSWORD, "first_name": phishing, "last_name": "Rossi\x07",
        "privacy_accepted": True})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert set(problem_fields(r.json())) == {"first_name", "last_name"}
    assert all("lettere" in m for m in problem_fields(r.json()).values())
    r = await api.post("/api/accounts/register", json={
        "email": email, "password": PASSWORD, "first_name": "Niccolò", "last_name": "D'Angelo-Zoë",
        "privacy_accepted": True})
    assert r.status_code == 201 and r.json()["first_name"] == "Niccolò"
    [welcome] = await sink.wait(email, "Benvenuto")
    assert "evil.example" not in welcome["text"]

    customer = await register(api)
    for bad, field in (({"first_name": "vai su evil.example"}, "first_name"),
                       ({"customer_type": "azienda", "company_name": "Rossi\nS.r.l.",
                         "vat_number": "IT12345670017", "sdi_code": "ABC1234"}, "company_name")):
        saved = await api.put("/api/accounts/me/billing", headers=customer.headers,
                              json={**BILLING, **bad})
        assert saved.status_code == 422 and field in problem_fields(saved.json()), saved.text
    company = {**BILLING, "customer_type": "azienda", "company_name": "Rossi & Figli S.r.l. (2°)",
               "vat_number": "IT12345670017", "sdi_code": "ABC1234"}
    saved = await api.put("/api/accounts/me/billing", headers=customer.headers, json=company)
    assert saved.status_code == 200, saved.text
    assert saved.json()["company_name"] == "Rossi & Figli S.r.l. (2°)"
    # The same rule at checkout, where the billing data travels into the order.
    await add_line(api, customer.headers, DICHIARAZIONE, {"modello": "730"})
    refused = await api.post("/api/cart/checkout",
                             headers={**customer.headers, "Idempotency-Key": uuid.uuid4().hex},
                             json={"billing": {**BILLING, "last_name": "Rossi http://x.example"},
                                   "terms_version": TERMS_VERSION, "payment_method": "card"})
    assert refused.status_code == 422 and "billing.last_name" in problem_fields(refused.json())
