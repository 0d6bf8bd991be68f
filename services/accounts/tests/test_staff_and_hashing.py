"""The operator's staff command (a real subprocess) and argon2 rehashing when the cost changes."""

from __future__ import annotations

import asyncio

import jwt
from accounts_testkit import PASSWORD, login, new_email, register
from sportello.testing import running_service
from sportello.testing.system import run_command
from sportello_accounts.app import service
from sportello_accounts.models import Account
from sqlalchemy import select


async def _stored_hash(client, email: str) -> str:
    async with client.app.state.sessionmaker() as session:
        return await session.scalar(select(Account.password_hash).where(Account.email == email))


async def test_the_operator_creates_a_staff_user_who_logs_in_as_staff(client, accounts_settings):
    email = new_email()
    out = await asyncio.to_thread(run_command, accounts_settings, "staff", "create", "--email",
                                  email, stdin="password-dello-staff-1\n")
    assert "creato" in out
    r = await login(client, email, "password-dello-staff-1")
    assert r.status_code == 200
    claims = jwt.decode(r.json()["access_token"], options={"verify_signature": False})
    assert claims["role"] == "staff"
    # Running it again sets the password instead of failing (an operator's way to reset it).
    out = await asyncio.to_thread(run_command, accounts_settings, "staff", "create", "--email",
                                  email, stdin="altra-password-staff-2\n")
    assert "aggiornato" in out
    assert (await login(client, email, "altra-password-staff-2")).status_code == 200


async def test_the_staff_command_refuses_weak_passwords_and_customers(accounts_settings, client):
    import pytest

    with pytest.raises(RuntimeError, match="password"):
        await asyncio.to_thread(run_command, accounts_settings, "staff", "create", "--email",
                                new_email(), stdin="123\n")
    customer = await register(client)
    with pytest.raises(RuntimeError, match="cliente"):
        await asyncio.to_thread(run_command, accounts_settings, "staff", "create", "--email",
                                customer["email"], stdin="password-dello-staff-1\n")
    r = await login(client, customer["email"])
    claims = jwt.decode(r.json()["access_token"], options={"verify_signature": False})
    assert claims["role"] == "customer"


async def test_a_login_rehashes_the_password_when_the_parameters_change(client, accounts_settings):
    account = await register(client)
    before = await _stored_hash(client, account["email"])
    assert "m=1024,t=1,p=1" in before
    # The operator raises the cost and restarts: a second instance with the new parameters.
    stronger = accounts_settings.model_copy(update={"argon2_time_cost": 2, "argon2_memory_cost": 2048})
    async with running_service(service, stronger) as restarted:
        assert (await login(restarted, account["email"], PASSWORD)).status_code == 200
    after = await _stored_hash(client, account["email"])
    assert after != before and "m=2048,t=2,p=1" in after
    # The new hash still verifies the same password, and a wrong one is still refused.
    assert (await login(client, account["email"], PASSWORD)).status_code == 200
    assert (await login(client, account["email"], "non-la-password")).status_code == 401
