"""What other services receive: the account events on the broker, with the documented payloads;
and the password reset, whose link only the event carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accounts_testkit import PASSWORD, login, new_address, new_email, register, signed_in
from sportello.contracts.events import (
    AccountDeleted,
    AccountRegistered,
    AccountUpdated,
    PasswordResetRequested,
)
from sportello.testing import EventTap, problem_fields
from sportello_accounts.models import PasswordReset
from sqlalchemy import update


async def test_registration_update_and_deletion_are_announced(client, settings):
    async with EventTap(settings, "account.*") as tap:
        me = await signed_in(client, marketing_consent=True)
        [registered] = await tap.wait_for("account.registered",
                                          where=lambda d: d["account_id"] == me["id"])
        assert registered.producer == "accounts" and registered.version == 1
        data = AccountRegistered.model_validate(registered.data)
        # The consent counts only once the address is confirmed, by the link of the welcome email.
        assert (data.email, data.first_name, data.last_name, data.marketing_consent) == (
            me["email"], "Mario", "Rossi", False)
        confirmed = await client.post("/api/accounts/email/confirm",
                                      json={"token": data.confirm_token})
        assert confirmed.status_code == 200, confirmed.text
        [update] = await tap.wait_for("account.updated", where=lambda d: d["account_id"] == me["id"])
        assert AccountUpdated.model_validate(update.data).marketing_consent is True

        await client.patch("/api/accounts/me", headers=me["headers"],
                           json={"last_name": "Verdi", "phone": "+39 011 765432"},
                           )
        updated = (await tap.wait_for("account.updated", count=2,
                                      where=lambda d: d["account_id"] == me["id"]))[-1]
        data = AccountUpdated.model_validate(updated.data)
        assert (data.email, data.last_name, data.phone) == (me["email"], "Verdi", "+39 011 765432")

        await client.request("DELETE", "/api/accounts/me", headers=me["headers"],
                             json={"password": PASSWORD})
        [deleted] = await tap.wait_for("account.deleted", where=lambda d: d["account_id"] == me["id"])
        assert AccountDeleted.model_validate(deleted.data).account_id.hex == me["id"].replace("-", "")


async def test_a_request_id_travels_into_the_event(client, settings):
    async with EventTap(settings, "account.registered") as tap:
        email = new_email()
        r = await client.post("/api/accounts/register", headers={"X-Request-ID": "req-accounts-42"},
                              json={"email": email, "password": PASSWORD, "first_name": "Anna",
                                    "last_name": "Neri", "privacy_accepted": True})
        assert r.status_code == 201
        [event] = await tap.wait_for("account.registered", where=lambda d: d["email"] == email.lower())
        assert event.correlation_id == "req-accounts-42"


async def test_a_refused_change_announces_nothing(client, settings):
    async with EventTap(settings, "account.*") as tap:
        me = await signed_in(client)
        await tap.wait_for("account.registered", where=lambda d: d["account_id"] == me["id"])
        r = await client.patch("/api/accounts/me", headers=me["headers"], json={"phone": "boh"})
        assert r.status_code == 422
        # A later accepted change is the first update to arrive: the refused one left no event.
        await client.patch("/api/accounts/me", headers=me["headers"], json={"first_name": "Lia"})
        updates = await tap.wait_for("account.updated", where=lambda d: d["account_id"] == me["id"])
        assert [u.data["first_name"] for u in updates] == ["Lia"]


async def _reset_token(client, tap, email: str) -> str:
    r = await client.post("/api/accounts/password-reset", json={"email": email},
                          headers=new_address())
    assert r.status_code == 202
    [event] = await tap.wait_for("account.password_reset_requested",
                                 where=lambda d: d["email"] == email)
    data = PasswordResetRequested.model_validate(event.data)
    assert data.first_name == "Mario"
    expected = datetime.now(UTC) + timedelta(hours=1)
    assert abs((data.expires_at - expected).total_seconds()) < 30
    return data.token


async def test_password_reset_link_works_once_and_ends_every_session(client, settings):
    me = await signed_in(client)
    async with EventTap(settings, "account.password_reset_requested") as tap:
        token = await _reset_token(client, tap, me["email"])
    r = await client.post("/api/accounts/password-reset/confirm",
                          json={"token": token, "new_password": "ricomincio-da-capo-3"})
    assert r.status_code == 204
    assert (await login(client, me["email"])).status_code == 401
    assert (await login(client, me["email"], "ricomincio-da-capo-3")).status_code == 200
    assert (await client.post("/api/accounts/refresh",
                              json={"refresh_token": me["tokens"]["refresh_token"]})).status_code == 401
    r = await client.post("/api/accounts/password-reset/confirm",
                          json={"token": token, "new_password": "e-ancora-una-volta-4"})
    assert r.status_code == 422 and "token" in problem_fields(r.json())
    assert (await login(client, me["email"], "ricomincio-da-capo-3")).status_code == 200


async def test_an_unknown_email_gets_the_same_202_and_no_email(client, settings):
    account = await register(client)
    async with EventTap(settings, "account.password_reset_requested") as tap:
        unknown = await client.post("/api/accounts/password-reset", json={"email": new_email()},
                                    headers=new_address())
        known = await client.post("/api/accounts/password-reset", json={"email": account["email"]},
                                  headers=new_address())
        assert unknown.status_code == known.status_code == 202
        assert unknown.json() == known.json()
        events = await tap.wait_for("account.password_reset_requested")
        assert [e.data["email"] for e in events] == [account["email"]]


async def test_an_expired_or_made_up_reset_token_is_refused(client, settings):
    me = await signed_in(client)
    async with EventTap(settings, "account.password_reset_requested") as tap:
        token = await _reset_token(client, tap, me["email"])
    # An hour later (moved by hand: the clock is the database's).
    async with client.app.state.sessionmaker() as session:
        await session.execute(update(PasswordReset).where(PasswordReset.account_id == me["id"])
                              .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        await session.commit()
    for bad in (token, "inventato"):
        r = await client.post("/api/accounts/password-reset/confirm",
                              json={"token": bad, "new_password": "ricomincio-da-capo-3"})
        assert r.status_code == 422 and "token" in problem_fields(r.json())
    assert (await login(client, me["email"])).status_code == 200


async def test_a_weak_new_password_keeps_the_link_usable(client, settings):
    me = await signed_in(client)
    async with EventTap(settings, "account.password_reset_requested") as tap:
        token = await _reset_token(client, tap, me["email"])
    r = await client.post("/api/accounts/password-reset/confirm",
                          json={"token": token, "new_password": "password123"})
    assert r.status_code == 422 and "new_password" in problem_fields(r.json())
    r = await client.post("/api/accounts/password-reset/confirm",
                          json={"token": token, "new_password": "ricomincio-da-capo-3"})
    assert r.status_code == 204


async def test_reset_requests_are_limited_per_source_and_never_leave_the_owner_without_a_link(
        client, settings):
    account = await register(client)
    email = account["email"].lower()
    flooder = new_address()
    async with EventTap(settings, "account.password_reset_requested") as tap:
        for _ in range(2):  # the test limit per email and source
            r = await client.post("/api/accounts/password-reset", json={"email": email},
                                  headers=flooder)
            assert r.status_code == 202
        r = await client.post("/api/accounts/password-reset", json={"email": email},
                              headers=flooder)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        # The owner, elsewhere, still asks and is answered; past the ceiling of emails per
        # address (3 in tests) no more are sent, and the links already sent still work.
        for _ in range(2):
            r = await client.post("/api/accounts/password-reset", json={"email": email},
                                  headers=new_address())
            assert r.status_code == 202
        sent = await tap.wait_for("account.password_reset_requested", count=3,
                                  where=lambda d: d["email"] == email)
    assert len(sent) == 3
    r = await client.post("/api/accounts/password-reset/confirm",
                          json={"token": sent[0].data["token"], "new_password": "ricomincio-da-capo-3"})
    assert r.status_code == 204


async def test_the_deny_list_is_fed_from_the_events_too(client, settings):
    """Should Redis fail between accounts' commit and its direct write, the event committed in
    the same transaction still puts the session and the erased account on the list."""
    import uuid

    from sportello.contracts.events import AccountSessionsRevoked
    from sportello.revocations import Revocations
    from sportello.testing import publish_event, wait_for

    account, sid = uuid.uuid4(), uuid.uuid4()
    revocations = Revocations(settings)
    try:
        assert not await revocations.is_revoked(account, str(sid))
        await publish_event(settings, "account.sessions_revoked",
                            AccountSessionsRevoked(account_id=account, session_ids=[sid]),
                            producer="accounts")
        await wait_for(lambda: revocations.is_revoked(uuid.uuid4(), str(sid)),
                       message="session denied")
        await publish_event(settings, "account.deleted", AccountDeleted(account_id=account),
                            producer="accounts")
        await wait_for(lambda: revocations.is_revoked(account, None), message="subject denied")
    finally:
        await revocations.close()
