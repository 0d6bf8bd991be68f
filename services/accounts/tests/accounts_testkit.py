"""Helpers of the accounts tests: fresh emails and client addresses, register, log in."""

from __future__ import annotations

import itertools
import uuid

import httpx

PASSWORD = "una-password-robusta-1"

_addresses = itertools.count(1)


def new_address() -> dict[str, str]:
    """A client address of its own (as the gateway would forward it), so the per-address limit
    of one test never spills into another."""
    n = next(_addresses)
    return {"X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}


def new_email() -> str:
    return f"Cliente.{uuid.uuid4().hex[:10]}@Example.com"


async def register(client: httpx.AsyncClient, email: str | None = None, password: str = PASSWORD,
                   **extra) -> dict:
    body = {"email": email or new_email(), "password": password, "first_name": "Mario",
            "last_name": "Rossi", "privacy_accepted": True, **extra}
    r = await client.post("/api/accounts/register", json=body)
    assert r.status_code == 201, r.text
    return {**r.json(), "password": password}


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/accounts/login", json={"email": email, "password": password},
                             headers=new_address())


async def signed_in(client: httpx.AsyncClient, **extra) -> dict:
    """A registered customer with a session: {id, email, ..., tokens, headers}."""
    account = await register(client, **extra)
    r = await login(client, account["email"], account["password"])
    assert r.status_code == 200, r.text
    tokens = r.json()
    return {**account, "tokens": tokens,
            "headers": {"Authorization": f"Bearer {tokens['access_token']}"}}
