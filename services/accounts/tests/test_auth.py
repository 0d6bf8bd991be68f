"""Registering, logging in, refreshing, logging out, and which tokens are refused (real PostgreSQL)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from accounts_testkit import PASSWORD, login, new_address, new_email, register, signed_in
from sportello.auth import TokenVerifier
from sportello.contracts.people import PERSON_NAME_PROBLEM
from sportello.errors import UNPARSABLE_DETAIL
from sportello.keys import load_signing_key
from sportello.testing import problem_fields

# --- registration --------------------------------------------------------------------------------


async def test_register_answers_the_account_with_its_email_normalised(client):
    email = new_email()
    r = await client.post("/api/accounts/register", json={
        "email": f"  {email} ", "password": PASSWORD, "first_name": " Giulia ",
        "last_name": "Bianchi", "privacy_accepted": True, "marketing_consent": True})
    assert r.status_code == 201
    body = r.json()
    assert body["email"] == email.lower()
    assert body["first_name"] == "Giulia" and body["last_name"] == "Bianchi"
    uuid.UUID(body["id"])


async def test_an_email_registers_once_whatever_its_case(client):
    account = await register(client)
    r = await client.post("/api/accounts/register", json={
        "email": account["email"].upper(), "password": PASSWORD, "first_name": "Altro",
        "last_name": "Utente", "privacy_accepted": True})
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(("change", "field"), [
    ({"password": "corta"}, "password"),
    ({"password": "password1234"}, "password"),
    ({"password": "1234567890"}, "password"),
    ({"privacy_accepted": False}, "privacy_accepted"),
    ({"email": "non-una-email"}, "email"),
    ({"first_name": "   "}, "first_name"),
    ({"last_name": None}, "last_name"),
    ({"marketing_consent": "forse"}, "marketing_consent"),
])
async def test_bad_registrations_name_the_field_and_create_nothing(client, change, field):
    email = new_email()
    body = {"email": email, "password": PASSWORD, "first_name": "Mario", "last_name": "Rossi",
            "privacy_accepted": True, **change}
    r = await client.post("/api/accounts/register", json=body)
    assert r.status_code == 422
    assert field in problem_fields(r.json())
    assert all(not m.isascii() or " " in m for m in problem_fields(r.json()).values())
    # Nothing was created: the same email (if it was valid) still registers.
    if field != "email":
        await register(client, email=email)


async def test_missing_body_fields_are_422_not_500(client):
    r = await client.post("/api/accounts/register", json={})
    assert r.status_code == 422
    assert {"email", "password", "first_name", "last_name", "privacy_accepted"} <= set(
        problem_fields(r.json()))
    r = await client.post("/api/accounts/register", content=b"{not json",
                          headers={"content-type": "application/json"})
    assert r.status_code == 422


async def test_public_registration_never_makes_staff(client):
    account = await register(client, role="staff")
    tokens = (await login(client, account["email"])).json()
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["role"] == "customer"


# --- login and the access token ------------------------------------------------------------------


async def test_login_gives_a_signed_short_lived_token_and_a_refresh_token(client, settings):
    account = await register(client)
    r = await login(client, account["email"].upper(), PASSWORD)
    assert r.status_code == 200
    tokens = r.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 15 * 60
    assert len(tokens["refresh_token"]) >= 40
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["alg"] == "EdDSA" and header["kid"]
    principal = TokenVerifier(settings).verify(tokens["access_token"])
    assert str(principal.id) == account["id"] and principal.role == "customer"
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["iss"] == settings.jwt_issuer and claims["aud"] == settings.jwt_audience
    assert 14 * 60 <= claims["exp"] - datetime.now(UTC).timestamp() <= 15 * 60 + 5
    me = await client.get("/api/accounts/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == account["id"]


async def test_the_jwks_serves_the_key_that_verifies_the_token(client):
    account = await register(client)
    token = (await login(client, account["email"])).json()["access_token"]
    jwks = (await client.get("/api/accounts/.well-known/jwks.json")).json()
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["alg"] == "EdDSA"
    assert "d" not in jwk  # never the private part
    key = jwt.PyJWK(jwk).key
    claims = jwt.decode(token, key, algorithms=["EdDSA"], audience="sportello")
    assert claims["sub"] == account["id"]


async def test_wrong_email_and_wrong_password_give_the_same_401(client):
    account = await register(client)
    wrong_password = await login(client, account["email"], "un'altra-password-99")
    wrong_email = await login(client, new_email(), PASSWORD)
    assert wrong_password.status_code == wrong_email.status_code == 401
    assert wrong_password.json() == wrong_email.json()


async def test_refresh_rotates_and_the_old_refresh_token_is_spent(client):
    account = await signed_in(client)
    first = account["tokens"]["refresh_token"]
    r = await client.post("/api/accounts/refresh", json={"refresh_token": first})
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first
    me = await client.get("/api/accounts/me",
                          headers={"Authorization": f"Bearer {second['access_token']}"})
    assert me.status_code == 200
    r = await client.post("/api/accounts/refresh", json={"refresh_token": second["refresh_token"]})
    assert r.status_code == 200


async def test_reusing_a_spent_refresh_token_revokes_the_whole_family(client):
    account = await signed_in(client)
    stolen = account["tokens"]["refresh_token"]
    legit = (await client.post("/api/accounts/refresh", json={"refresh_token": stolen})).json()
    # The thief replays the spent token: refused, and the customer's newer token dies too.
    replay = await client.post("/api/accounts/refresh", json={"refresh_token": stolen})
    assert replay.status_code == 401
    after = await client.post("/api/accounts/refresh", json={"refresh_token": legit["refresh_token"]})
    assert after.status_code == 401
    # Another session of the same customer (another login) is a different family and lives on.
    other = (await login(client, account["email"])).json()
    assert (await client.post("/api/accounts/refresh",
                              json={"refresh_token": other["refresh_token"]})).status_code == 200


async def test_concurrent_refreshes_with_one_token_let_one_win(client):
    import asyncio

    account = await signed_in(client)
    token = account["tokens"]["refresh_token"]
    answers = await asyncio.gather(*(client.post("/api/accounts/refresh",
                                                 json={"refresh_token": token}) for _ in range(4)))
    assert sorted(r.status_code for r in answers)[0] == 200
    assert [r.status_code for r in answers].count(200) == 1


async def test_unknown_refresh_token_is_401(client):
    r = await client.post("/api/accounts/refresh", json={"refresh_token": "x" * 43})
    assert r.status_code == 401
    r = await client.post("/api/accounts/refresh", json={"refresh_token": ""})
    assert r.status_code == 422 and "refresh_token" in problem_fields(r.json())


async def test_logout_revokes_the_refresh_token(client):
    account = await signed_in(client)
    r = await client.post("/api/accounts/logout",
                          json={"refresh_token": account["tokens"]["refresh_token"]})
    assert r.status_code == 204
    r = await client.post("/api/accounts/refresh",
                          json={"refresh_token": account["tokens"]["refresh_token"]})
    assert r.status_code == 401
    # Logging out twice, or with an unknown token, is harmless.
    r = await client.post("/api/accounts/logout", json={"refresh_token": "sconosciuto"})
    assert r.status_code == 204


# --- tokens that must be refused -----------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(account_id: str, settings, **over) -> dict:
    now = datetime.now(UTC)
    return {"sub": account_id, "role": "customer", "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience, "iat": int(now.timestamp()),
            "exp": int((now + timedelta(minutes=15)).timestamp()), **over}


def _signed(settings, claims: dict, kid: str | None = None) -> str:
    real_kid, key = load_signing_key(settings.jwt_keys_dir)
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid or real_kid})


def _forged(header: dict, claims: dict, secret: bytes | None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = b"" if secret is None else hmac.new(secret, signing_input.encode(),
                                                      hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


async def test_tokens_that_must_be_refused(client, settings):
    account = await signed_in(client)
    aid = account["id"]
    kid, _ = load_signing_key(settings.jwt_keys_dir)
    public_pem = (settings.jwt_keys_dir / f"{kid}.pub.pem").read_bytes()
    past = datetime.now(UTC) - timedelta(minutes=20)
    bad = {
        "expired": _signed(settings, _claims(aid, settings, iat=int(past.timestamp()),
                                             exp=int((past + timedelta(minutes=15)).timestamp()))),
        "wrong audience": _signed(settings, _claims(aid, settings, aud="altro-sistema")),
        "wrong issuer": _signed(settings, _claims(aid, settings, iss="qualcun-altro")),
        "unknown kid": _signed(settings, _claims(aid, settings), kid="19990101000000000000"),
        "alg none": _forged({"alg": "none", "typ": "JWT", "kid": kid}, _claims(aid, settings), None),
        "HS256 with the public key": _forged({"alg": "HS256", "typ": "JWT", "kid": kid},
                                             _claims(aid, settings), public_pem),
        "tampered": account["tokens"]["access_token"][:-4] + "AAAA",
        "role made up": _signed(settings, _claims(aid, settings, role="admin")),
        "garbage": "non.un.token",
    }
    for why, token in bad.items():
        r = await client.get("/api/accounts/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, why
        assert r.headers["content-type"].startswith("application/problem+json"), why
    assert (await client.get("/api/accounts/me")).status_code == 401
    assert (await client.get("/api/accounts/me", headers={"Authorization": "Basic abc"})).status_code == 401
    # The genuine token still works: the refusals above were about the tokens.
    assert (await client.get("/api/accounts/me", headers=account["headers"])).status_code == 200


# --- rate limits ---------------------------------------------------------------------------------


async def test_failed_logins_for_an_email_lock_out_that_source_only(client):
    account = await register(client)
    guesser = new_address()
    for _ in range(3):  # the test limit per email and source
        r = await client.post("/api/accounts/login", headers=guesser,
                              json={"email": account["email"], "password": "sbagliata-sbagliata"})
        assert r.status_code == 401
    r = await client.post("/api/accounts/login", headers=guesser,
                          json={"email": account["email"], "password": PASSWORD})
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 901
    assert r.headers["content-type"].startswith("application/problem+json")
    # The owner, somewhere else, is not locked out by someone else's guesses.
    assert (await login(client, account["email"])).status_code == 200


async def test_guessing_spread_over_sources_meets_the_email_ceiling_a_known_source_does_not(client):
    account = await register(client)
    home = new_address()
    ok = await client.post("/api/accounts/login", headers=home,
                           json={"email": account["email"], "password": PASSWORD})
    assert ok.status_code == 200
    for _ in range(6):  # the test ceiling per email, each guess from another address
        assert (await login(client, account["email"], "sbagliata-sbagliata")).status_code == 401
    # A new source is refused even with the right password: the ceiling stops the guessing...
    assert (await login(client, account["email"])).status_code == 429
    # ...while the owner, from where they logged in before, still gets in.
    again = await client.post("/api/accounts/login", headers=home,
                              json={"email": account["email"], "password": PASSWORD})
    assert again.status_code == 200


async def test_successful_logins_do_not_count_as_failures(client):
    account = await register(client)
    for _ in range(6):
        assert (await login(client, account["email"])).status_code == 200


async def test_failed_logins_per_address_are_limited_across_emails(client):
    address = new_address()
    for _ in range(5):  # the test limit per address, each on a different email
        r = await client.post("/api/accounts/login", json={"email": new_email(), "password": "x" * 12},
                              headers=address)
        assert r.status_code == 401
    account = await register(client)
    r = await client.post("/api/accounts/login", json={"email": account["email"], "password": PASSWORD},
                          headers=address)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    # The same customer from another address is not blocked.
    assert (await login(client, account["email"])).status_code == 200


async def test_a_forged_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit(client):
    import httpx

    transport = httpx.ASGITransport(app=client.app, client=("203.0.113.7", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as outsider:
        for i in range(5):
            r = await outsider.post("/api/accounts/login",
                                    json={"email": new_email(), "password": "x" * 12},
                                    headers={"X-Forwarded-For": f"198.51.100.{i}"})
            assert r.status_code == 401
        r = await outsider.post("/api/accounts/login", json={"email": new_email(), "password": "x" * 12},
                                headers={"X-Forwarded-For": "198.51.100.99"})
        assert r.status_code == 429


# --- key rotation --------------------------------------------------------------------------------


async def test_two_keys_are_served_during_a_rotation(accounts_settings, tmp_path):
    from sportello.keys import generate_key
    from sportello.testing import running_service
    from sportello_accounts.app import service

    keys = tmp_path / "keys"
    old_kid = generate_key(keys)
    new_kid = generate_key(keys)  # `sportello keys --rotate`: the newer key signs from now on
    rotated = accounts_settings.model_copy(update={"jwt_keys_dir": keys})
    async with running_service(service, rotated) as c:
        jwks = (await c.get("/api/accounts/.well-known/jwks.json")).json()
        assert sorted(k["kid"] for k in jwks["keys"]) == sorted([old_kid, new_kid])
        account = await register(c)
        token = (await login(c, account["email"])).json()["access_token"]
        assert jwt.get_unverified_header(token)["kid"] == new_kid
        # A token signed with the old key before the rotation is still accepted until it expires.
        from cryptography.hazmat.primitives import serialization

        old_private = serialization.load_pem_private_key(
            (keys / f"{old_kid}.key.pem").read_bytes(), None)
        old_token = jwt.encode(_claims(account["id"], rotated), old_private, algorithm="EdDSA",
                               headers={"kid": old_kid})
        for t in (token, old_token):
            me = await c.get("/api/accounts/me", headers={"Authorization": f"Bearer {t}"})
            assert me.status_code == 200 and me.json()["id"] == account["id"]


@pytest.mark.parametrize("name", ["Mario\r\nBcc: x@example.com", "Mario\nRossi", "Ma\trio", "Mario\x7f"])
async def test_a_name_with_control_characters_is_refused_by_name_in_italian(client, name):
    """A name reaches mail headers (To: Mario <…>): a CR/LF there would stop or split an email."""
    body = {"email": new_email(), "password": PASSWORD, "first_name": name, "last_name": "Rossi",
            "privacy_accepted": True}
    r = await client.post("/api/accounts/register", json=body)
    assert r.status_code == 422, r.text
    # Refused by the shared text guard or by the name rule (issue 17), by name, in Italian.
    assert problem_fields(r.json()) in ({"first_name": "Il testo contiene caratteri non ammessi."},
                                        {"first_name": PERSON_NAME_PROBLEM})


@pytest.mark.parametrize("path", ["/api/accounts/register", "/api/accounts/login"])
@pytest.mark.parametrize("depth", [600, 1000, 5000])
async def test_deeply_nested_json_with_a_nul_is_a_4xx_and_the_next_request_works(client, path, depth):
    deep = "[" * depth + '"\\u0000"' + "]" * depth
    raw = '{"email": "a@example.com", "password": "x", "extra": ' + deep + "}"
    r = await client.post(path, content=raw.encode(), headers={"content-type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] in ("Alcuni dati non sono validi.", UNPARSABLE_DETAIL)
    assert (await client.get("/api/accounts/.well-known/jwks.json")).status_code == 200
