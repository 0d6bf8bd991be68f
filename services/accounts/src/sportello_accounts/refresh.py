"""Sessions: an access token plus a rotating refresh token; a login starts a family of them.

Each refresh spends the presented token and issues the next one in its family. Presenting a
spent token means two parties hold it (a thief and the customer): the whole family is revoked.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import structlog
from sportello.errors import Unauthorized
from sportello.tokens import TokenIssuer
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_accounts.domain import (
    RefreshOutcome,
    RefreshState,
    new_secret,
    refresh_outcome,
    secret_hash,
)
from sportello_accounts.models import Account, RefreshToken

log = structlog.get_logger()

INVALID = "Sessione non valida o scaduta: accedi di nuovo."


async def issue_pair(session: AsyncSession, issuer: TokenIssuer, account: Account,
                     family_id: uuid.UUID | None = None) -> dict:
    """A new access token and refresh token (the caller commits)."""
    family_id = family_id or uuid.uuid4()
    raw = new_secret()
    session.add(RefreshToken(
        account_id=account.id, family_id=family_id, token_hash=secret_hash(raw),
        expires_at=datetime.now(UTC) + timedelta(days=issuer.settings.refresh_token_days),
    ))
    # `sid` names the family, so "change password" can keep this session and end the others.
    access = issuer.access_token(account.id, account.role, account.email,
                                 extra_claims={"sid": str(family_id)})
    return {"access_token": access, "refresh_token": raw, "token_type": "bearer",
            "expires_in": issuer.expires_in}


async def rotate(session: AsyncSession, issuer: TokenIssuer, raw: str) -> dict:
    """Spend `raw` and answer the next pair; Unauthorized (after revoking on reuse) otherwise."""
    now = datetime.now(UTC)
    # Spend atomically: of two concurrent refreshes with the same token only one wins.
    spent = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == secret_hash(raw), RefreshToken.spent_at.is_(None),
               RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > now)
        .values(spent_at=now)
        .returning(RefreshToken.account_id, RefreshToken.family_id)
    )
    row = spent.first()
    if row is None:
        token = await session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == secret_hash(raw)))
        state = None if token is None else RefreshState(token.spent_at, token.revoked_at,
                                                        token.expires_at)
        if refresh_outcome(state, now) is RefreshOutcome.REUSED:
            await revoke_family(session, token.family_id)
            await session.commit()
            log.warning("refresh_token_reused", account_id=str(token.account_id),
                        family_id=str(token.family_id))
        raise Unauthorized(INVALID)
    account = await session.get(Account, row.account_id)
    if account is None or account.deleted_at is not None:
        raise Unauthorized(INVALID)
    pair = await issue_pair(session, issuer, account, row.family_id)
    await session.commit()
    return pair


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def revoke_by_token(session: AsyncSession, raw: str) -> None:
    """Logout: end the session that `raw` belongs to (unknown tokens: nothing to do)."""
    family_id = await session.scalar(
        select(RefreshToken.family_id).where(RefreshToken.token_hash == secret_hash(raw)))
    if family_id is not None:
        await revoke_family(session, family_id)


async def revoke_all(session: AsyncSession, account_id: uuid.UUID,
                     keep_family: uuid.UUID | None = None) -> None:
    """End every session of the account except `keep_family` (the caller commits)."""
    query = update(RefreshToken).where(
        RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None))
    if keep_family is not None:
        query = query.where(RefreshToken.family_id != keep_family)
    await session.execute(query.values(revoked_at=datetime.now(UTC)))
