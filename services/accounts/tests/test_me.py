"""IL MIO ACCOUNT through HTTP: profile, password, billing data, privacy, export, deletion."""

from __future__ import annotations

import pytest
from accounts_testkit import PASSWORD, login, new_email, register, signed_in
from sportello.testing import EventTap, problem_fields

PRIVATO = {
    "customer_type": "privato", "first_name": "Mario", "last_name": "Rossi",
    "tax_code": "rssmra85t10a562s",
    "address": {"street": "Via Roma 1", "postal_code": "20121", "city": "Milano",
                "province": "mi", "country": "it"},
    "email": "Mario.Rossi@Example.com", "phone": "+39 02 1234567",
}
AZIENDA = {
    "customer_type": "azienda", "company_name": "Rossi S.r.l.", "vat_number": "IT12345670017",
    "address": {"street": "Corso Italia 10", "postal_code": "00184", "city": "Roma",
                "province": "RM", "country": "IT"},
    "sdi_code": "abc1234", "email": "fatture@rossi.example",
}


def _with(base: dict, **change) -> dict:
    body = {**base, **{k: v for k, v in change.items() if k != "address"}}
    if "address" in change:
        body["address"] = {**base["address"], **change["address"]}
    return body


# --- PROFILO -------------------------------------------------------------------------------------


async def test_profile_reads_and_updates_name_and_phone(client):
    me = await signed_in(client)
    r = await client.get("/api/accounts/me", headers=me["headers"])
    assert r.status_code == 200
    assert r.json()["email"] == me["email"] and r.json()["phone"] is None
    assert "created_at" in r.json()
    r = await client.patch("/api/accounts/me", headers=me["headers"],
                           json={"first_name": "Giuseppe", "phone": "+39 333 1234567"})
    assert r.status_code == 200
    assert r.json()["first_name"] == "Giuseppe" and r.json()["last_name"] == "Rossi"
    again = (await client.get("/api/accounts/me", headers=me["headers"])).json()
    assert again["first_name"] == "Giuseppe" and again["phone"] == "+39 333 1234567"
    r = await client.patch("/api/accounts/me", headers=me["headers"], json={"phone": None})
    assert r.status_code == 200 and r.json()["phone"] is None


@pytest.mark.parametrize(("body", "field"), [
    ({"first_name": None}, "first_name"),
    ({"last_name": ""}, "last_name"),
    ({"phone": "chiamami"}, "phone"),
    ({"first_name": "x" * 101}, "first_name"),
])
async def test_bad_profile_updates_name_the_field_and_change_nothing(client, body, field):
    me = await signed_in(client)
    r = await client.patch("/api/accounts/me", headers=me["headers"], json=body)
    assert r.status_code == 422 and field in problem_fields(r.json())
    after = (await client.get("/api/accounts/me", headers=me["headers"])).json()
    assert (after["first_name"], after["last_name"], after["phone"]) == ("Mario", "Rossi", None)


async def test_changing_the_email_needs_the_current_password_and_the_new_address_confirmed(
        client, settings):
    me = await signed_in(client)
    new = new_email()
    r = await client.patch("/api/accounts/me", headers=me["headers"], json={"email": new})
    assert r.status_code == 422 and "current_password" in problem_fields(r.json())
    r = await client.patch("/api/accounts/me", headers=me["headers"],
                           json={"email": new, "current_password": "non-e-la-mia-password"})
    assert r.status_code == 422 and "current_password" in problem_fields(r.json())
    assert (await client.get("/api/accounts/me", headers=me["headers"])).json()["email"] == me["email"]
    async with EventTap(settings, "account.email_change_requested") as tap:
        r = await client.patch("/api/accounts/me", headers=me["headers"],
                               json={"email": new, "current_password": PASSWORD})
        [asked] = await tap.wait_for("account.email_change_requested",
                                     where=lambda d: d["account_id"] == me["id"])
    # Not yet: the login stays the confirmed address until the link sent to the new one is opened.
    assert r.status_code == 200
    assert (r.json()["email"], r.json()["pending_email"]) == (me["email"].lower(), new.lower())
    assert (await login(client, new)).status_code == 401
    assert (await login(client, me["email"])).status_code == 200
    confirmed = await client.post("/api/accounts/email/confirm",
                                  json={"token": asked.data["token"]})
    assert confirmed.status_code == 200 and confirmed.json()["email"] == new.lower()
    assert (await login(client, new)).status_code == 200
    assert (await login(client, me["email"])).status_code == 401
    profile = (await client.get("/api/accounts/me", headers=me["headers"])).json()
    assert (profile["email"], profile["email_confirmed"], profile["pending_email"]) == (
        new.lower(), True, None)
    # A link works once.
    again = await client.post("/api/accounts/email/confirm", json={"token": asked.data["token"]})
    assert again.status_code == 422 and list(problem_fields(again.json())) == ["token"]


async def test_an_email_taken_by_someone_else_is_409(client):
    other = await register(client)
    me = await signed_in(client)
    r = await client.patch("/api/accounts/me", headers=me["headers"],
                           json={"email": other["email"].upper(), "current_password": PASSWORD})
    assert r.status_code == 409


async def test_changing_the_password_ends_the_other_sessions_only(client):
    me = await signed_in(client)
    other = (await login(client, me["email"])).json()
    r = await client.post("/api/accounts/me/password", headers=me["headers"],
                          json={"current_password": PASSWORD, "new_password": "nuova-password-sicura-7"})
    assert r.status_code == 204
    assert (await client.post("/api/accounts/refresh",
                              json={"refresh_token": other["refresh_token"]})).status_code == 401
    assert (await client.post("/api/accounts/refresh",
                              json={"refresh_token": me["tokens"]["refresh_token"]})).status_code == 200
    assert (await login(client, me["email"])).status_code == 401
    assert (await login(client, me["email"], "nuova-password-sicura-7")).status_code == 200


async def test_a_bad_password_change_names_the_field_and_changes_nothing(client):
    me = await signed_in(client)
    r = await client.post("/api/accounts/me/password", headers=me["headers"],
                          json={"current_password": "sbagliata-123",
                                "new_password": "nuova-password-sicura-7"})
    assert r.status_code == 422 and "current_password" in problem_fields(r.json())
    r = await client.post("/api/accounts/me/password", headers=me["headers"],
                          json={"current_password": PASSWORD, "new_password": "qwertyuiop"})
    assert r.status_code == 422 and "new_password" in problem_fields(r.json())
    assert (await login(client, me["email"])).status_code == 200


# --- DATI DI FATTURAZIONE ------------------------------------------------------------------------


async def test_billing_is_404_before_the_first_save_then_kept_normalised(client):
    me = await signed_in(client)
    r = await client.get("/api/accounts/me/billing", headers=me["headers"])
    assert r.status_code == 404
    r = await client.put("/api/accounts/me/billing", headers=me["headers"], json=PRIVATO)
    assert r.status_code == 200, r.text
    saved = (await client.get("/api/accounts/me/billing", headers=me["headers"])).json()
    assert saved == r.json()
    assert saved["tax_code"] == "RSSMRA85T10A562S"
    assert saved["address"]["province"] == "MI" and saved["address"]["country"] == "IT"
    assert saved["email"] == "mario.rossi@example.com"
    r = await client.put("/api/accounts/me/billing", headers=me["headers"], json=AZIENDA)
    assert r.status_code == 200
    saved = (await client.get("/api/accounts/me/billing", headers=me["headers"])).json()
    assert saved["customer_type"] == "azienda" and saved["vat_number"] == "12345670017"
    assert saved["sdi_code"] == "ABC1234"


async def test_a_foreign_customer_needs_no_italian_codes(client):
    me = await signed_in(client)
    body = {"customer_type": "privato", "first_name": "Hans", "last_name": "Muller",
            "address": {"street": "Hauptstr. 5", "postal_code": "10115", "city": "Berlin",
                        "country": "DE"}, "email": "hans@example.de"}
    r = await client.put("/api/accounts/me/billing", headers=me["headers"], json=body)
    assert r.status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    (_with(PRIVATO, tax_code="RSSMRA85T10A562X"), "tax_code"),
    (_with(PRIVATO, tax_code=None), "tax_code"),
    (_with(PRIVATO, first_name=None), "first_name"),
    (_with(AZIENDA, vat_number="12345678901"), "vat_number"),
    (_with(AZIENDA, sdi_code="ABC12"), "sdi_code"),
    (_with(AZIENDA, sdi_code=None), "sdi_code"),
    (_with(AZIENDA, sdi_code="0000000"), "pec"),
    (_with(AZIENDA, company_name=None), "company_name"),
    (_with(PRIVATO, address={"postal_code": "2012"}), "address.postal_code"),
    (_with(PRIVATO, address={"postal_code": "2012A"}), "address.postal_code"),
    (_with(PRIVATO, address={"province": "XX"}), "address.province"),
    (_with(PRIVATO, address={"province": None}), "address.province"),
    (_with(PRIVATO, address={"street": ""}), "address.street"),
    (_with(PRIVATO, email="non-una-email"), "email"),
    (_with(PRIVATO, pec="pec-senza-chiocciola"), "pec"),
    (_with(PRIVATO, customer_type="ente"), "customer_type"),
    (_with(PRIVATO, campo_inventato=1), "campo_inventato"),
])
async def test_invalid_billing_data_is_422_naming_the_field_and_nothing_is_saved(client, body, field):
    me = await signed_in(client)
    r = await client.put("/api/accounts/me/billing", headers=me["headers"], json=body)
    assert r.status_code == 422, r.text
    fields = problem_fields(r.json())
    assert field in fields, fields
    assert fields[field] and fields[field] != "Valore non valido." or field == "campo_inventato"
    assert (await client.get("/api/accounts/me/billing", headers=me["headers"])).status_code == 404


async def test_a_customer_sees_and_changes_only_their_own_data(client):
    alice = await signed_in(client)
    bob = await signed_in(client)
    await client.put("/api/accounts/me/billing", headers=alice["headers"], json=PRIVATO)
    # Bob's requests reach Bob's data only: no billing yet, his own profile and export.
    assert (await client.get("/api/accounts/me/billing", headers=bob["headers"])).status_code == 404
    assert (await client.get("/api/accounts/me", headers=bob["headers"])).json()["id"] == bob["id"]
    export = (await client.get("/api/accounts/me/export", headers=bob["headers"])).json()
    assert export["account"]["id"] == bob["id"] and export["billing"] is None
    await client.patch("/api/accounts/me", headers=bob["headers"], json={"first_name": "Roberto"})
    assert (await client.get("/api/accounts/me", headers=alice["headers"])).json()["first_name"] == "Mario"
    # Paths name no account, so there is no way to address Alice's: an id in the path is 404/405.
    r = await client.get(f"/api/accounts/{alice['id']}", headers=bob["headers"])
    assert r.status_code in (404, 405)


# --- INFORMAZIONI PRIVACY, export, deletion ------------------------------------------------------


async def test_privacy_shows_consents_with_version_time_and_history(client, accounts_settings):
    me = await signed_in(client, marketing_consent=False)
    r = await client.get("/api/accounts/me/privacy", headers=me["headers"])
    assert r.status_code == 200
    privacy = r.json()
    assert privacy["privacy_policy_version"] == accounts_settings.privacy_policy_version
    assert privacy["accepted_at"] and privacy["marketing_consent"] is False
    assert [(c["consent"], c["granted"]) for c in privacy["consents_history"]] == [
        ("privacy_policy", True), ("marketing", False)]
    r = await client.put("/api/accounts/me/privacy", headers=me["headers"],
                         json={"marketing_consent": True})
    # Given, but it counts only once the address is confirmed.
    assert r.status_code == 200
    assert (r.json()["marketing_consent"], r.json()["marketing_consent_pending"]) == (False, True)
    r = await client.put("/api/accounts/me/privacy", headers=me["headers"],
                         json={"marketing_consent": False})
    history = r.json()["consents_history"]
    assert [(c["consent"], c["granted"]) for c in history][-2:] == [
        ("marketing", True), ("marketing", False)]
    assert all(c["at"] for c in history)
    # Withdrawing the (required) privacy notice is not a consent change: it is account deletion.
    r = await client.put("/api/accounts/me/privacy", headers=me["headers"],
                         json={"privacy_accepted": False})
    assert r.status_code == 422 and "privacy_accepted" in problem_fields(r.json())
    r = await client.put("/api/accounts/me/privacy", headers=me["headers"],
                         json={"marketing_consent": "sì"})
    assert r.status_code == 422 and "marketing_consent" in problem_fields(r.json())


async def test_export_contains_what_was_stored(client):
    me = await signed_in(client, marketing_consent=True)
    await client.patch("/api/accounts/me", headers=me["headers"], json={"phone": "+39 055 123456"})
    await client.put("/api/accounts/me/billing", headers=me["headers"], json=PRIVATO)
    r = await client.get("/api/accounts/me/export", headers=me["headers"])
    assert r.status_code == 200
    export = r.json()
    assert export["account"]["email"] == me["email"]
    assert export["account"]["first_name"] == "Mario" and export["account"]["phone"] == "+39 055 123456"
    assert export["billing"]["tax_code"] == "RSSMRA85T10A562S"
    assert export["privacy"]["marketing_consent_pending"] is True  # address not confirmed yet
    assert len(export["privacy"]["consents_history"]) == 2
    assert len(export["sessions"]) == 1
    # Secrets are not data about the customer and never leave: no hash, no token.
    text = r.text
    assert "argon2id$" not in text and me["tokens"]["refresh_token"] not in text


async def test_deleting_the_account_needs_the_password(client):
    me = await signed_in(client)
    r = await client.request("DELETE", "/api/accounts/me", headers=me["headers"],
                             json={"password": "non-e-lei-123"})
    assert r.status_code == 422 and "password" in problem_fields(r.json())
    r = await client.request("DELETE", "/api/accounts/me", headers=me["headers"], json={})
    assert r.status_code == 422 and "password" in problem_fields(r.json())
    assert (await client.get("/api/accounts/me", headers=me["headers"])).status_code == 200


async def test_after_deletion_login_fails_and_the_data_is_gone(client):
    me = await signed_in(client)
    await client.put("/api/accounts/me/billing", headers=me["headers"], json=PRIVATO)
    r = await client.request("DELETE", "/api/accounts/me", headers=me["headers"],
                             json={"password": PASSWORD})
    assert r.status_code == 204
    assert (await login(client, me["email"])).status_code == 401
    # The access token is still signed and unexpired, but its subject is on the deny-list.
    for path in ("/api/accounts/me", "/api/accounts/me/export", "/api/accounts/me/billing",
                 "/api/accounts/me/privacy"):
        assert (await client.get(path, headers=me["headers"])).status_code == 401, path
    assert (await client.post("/api/accounts/refresh",
                              json={"refresh_token": me["tokens"]["refresh_token"]})).status_code == 401
    # Nothing personal is left to find: the address is free for a new registration.
    again = await register(client, email=me["email"])
    assert again["id"] != me["id"]


async def test_a_nul_character_anywhere_is_422_naming_the_field_never_500(client):
    me = await signed_in(client)
    cases = [
        ("POST", "/api/accounts/register", {"email": new_email(), "password": PASSWORD,
                                            "first_name": "Ma\x00rio", "last_name": "Rossi",
                                            "privacy_accepted": True}, "first_name"),
        ("POST", "/api/accounts/login", {"email": "a\x00@example.com", "password": PASSWORD}, "email"),
        ("POST", "/api/accounts/password-reset", {"email": "a\x00@example.com"}, "email"),
        ("PATCH", "/api/accounts/me", {"last_name": "Ro\x00ssi"}, "last_name"),
        ("PUT", "/api/accounts/me/billing", _with(PRIVATO, address={"street": "Via\x00 Roma"}),
         "address.street"),
    ]
    for method, path, body, field in cases:
        r = await client.request(method, path, json=body, headers=me["headers"])
        assert r.status_code == 422, (path, r.text)
        assert field in problem_fields(r.json()), path
    assert (await client.get("/api/accounts/me", headers=me["headers"])).json()["last_name"] == "Rossi"


async def test_a_profile_name_with_a_line_break_is_refused_and_the_name_kept(client):
    me = await signed_in(client)
    r = await client.patch("/api/accounts/me", json={"first_name": "Mario\r\nBcc: x@example.com"},
                           headers=me["headers"])
    assert r.status_code == 422 and "first_name" in problem_fields(r.json())
    assert (await client.get("/api/accounts/me", headers=me["headers"])).json()["first_name"] == "Mario"
