"""FastAPI dependencies of accounts: its settings, hasher, token issuer, the caller and address."""

from __future__ import annotations

import uuid
from typing import Annotated

import jwt
from fastapi import Depends, Request
from sportello.auth import Customer, bearer_token
from sportello.db import get_session
from sportello.errors import NotFound, ProblemError
from sportello.proxies import client_address as client_address_of
from sportello.revocations import Revocations
from sportello.tokens import TokenIssuer
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_accounts.models import Account
from sportello_accounts.passwords import Passwords
from sportello_accounts.settings import AccountsSettings

Session = Annotated[AsyncSession, Depends(get_session)]


# `async def` so FastAPI calls them on the event loop, not through a worker thread per request.
async def _settings(request: Request) -> AccountsSettings:
    return request.app.state.settings


async def _passwords(request: Request) -> Passwords:
    return request.app.state.passwords


async def _issuer(request: Request) -> TokenIssuer:
    return request.app.state.issuer


async def _revocations(request: Request) -> Revocations:
    return request.app.state.revocations


Config = Annotated[AccountsSettings, Depends(_settings)]
Denylist = Annotated[Revocations, Depends(_revocations)]
Hasher = Annotated[Passwords, Depends(_passwords)]
Issuer = Annotated[TokenIssuer, Depends(_issuer)]


async def client_address(request: Request) -> str:
    """The caller's address: behind the gateway the peer is the gateway, which appends its own
    peer to X-Forwarded-For (the shared rule of `sportello.proxies`)."""
    peer = request.client.host if request.client else None
    return client_address_of(peer, request.headers.get("x-forwarded-for"),
                             request.app.state.trusted_proxies)[0]


Address = Annotated[str, Depends(client_address)]


async def current_account(me: Customer, session: Session) -> Account:
    """The caller's own account; an erased one is gone even while its last token lives."""
    account = await session.get(Account, me.id)
    if account is None or account.deleted_at is not None:
        raise NotFound("Account non trovato.")
    return account


Me = Annotated[Account, Depends(current_account)]


def session_family(request: Request) -> uuid.UUID | None:
    """The `sid` claim of the caller's access token. Call it only in a route that depends on
    `Me`/`Customer`, which has verified the signature already."""
    try:
        token = bearer_token(request)
        claims = jwt.decode(token or "", options={"verify_signature": False})
        return uuid.UUID(str(claims.get("sid")))
    except (jwt.PyJWTError, ValueError, ProblemError):
        return None
