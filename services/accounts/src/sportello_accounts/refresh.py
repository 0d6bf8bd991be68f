"""Sessions: an access token plus a rotating refresh token; a login starts a family of them.

Each refresh spends the presented token and issues the next one in its family. Presenting a
spent token means two parties hold it (a thief and the customer): the whole family is revoked.
A family ends `session_idle_minutes` after its last refresh and `session_absolute_hours` after
its login, whichever comes first. Ending a family also announces its id (`sid`), so that its
access tokens are refused at once everywhere (`sportello.revocations`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import structlog
from sportello.contracts.events import AccountSessionsRevoked
from sportello.errors import Unauthorized
from sportello.messaging import emit
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


def session_expiry(settings, started_at: datetime, now: datetime) -> datetime:
    """When a refresh token issued `now` in a family started at `started_at` stops working."""
    return min(started_at + timedelta(hours=settings.session_absolute_hours),
               now + timedelta(minutes=settings.session_idle_minutes))


async def issue_pair(session: AsyncSession, issuer: TokenIssuer, account: Account,
                     family_id: uuid.UUID | None = None,
                     family_started_at: datetime | None = None) -> dict:
    """A new access token and refresh token (the caller commits)."""
    family_id = family_id or uuid.uuid4()
    now = datetime.now(UTC)
    started_at = family_started_at or now
    raw = new_secret()
    session.add(RefreshToken(
        account_id=account.id, family_id=family_id, token_hash=secret_hash(raw),
        family_started_at=started_at, expires_at=session_expiry(issuer.settings, started_at, now),
    ))
    # `sid` names the family, so "change password" can keep this session and end the others.
    access = issuer.access_token(account.id, account.role, account.email,
                                 extra_claims={"sid": str(family_id)})
    return {"access_token": access, "refresh_token": raw, "token_type": "bearer",
            "expires_in": issuer.expires_in}


async def rotate(session: AsyncSession, issuer: TokenIssuer, raw: str) -> dict:
    """Spend `raw` and answer the next pair; Unauthorized (after revoking on reuse) otherwise."""
    now = datetime.now(UTC)
    oldest_start = now - timedelta(hours=issuer.settings.session_absolute_hours)
    # Spend atomically: of two concurrent refreshes with the same token only one wins. Past the
    # absolute limit of its login no token refreshes, whatever its own expiry says.
    spent = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == secret_hash(raw), RefreshToken.spent_at.is_(None),
               RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > now,
               RefreshToken.family_started_at > oldest_start)
        .values(spent_at=now)
        .returning(RefreshToken.account_id, RefreshToken.family_id,
                   RefreshToken.family_started_at)
    )
    row = spent.first()
    if row is None:
        token = await session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == secret_hash(raw)))
        state = None if token is None else RefreshState(token.spent_at, token.revoked_at,
                                                        token.expires_at)
        if refresh_outcome(state, now) is RefreshOutcome.REUSED:
            ended = await revoke_family(session, token.family_id)
            await announce_ended(session, token.account_id, ended)
            await session.commit()
            log.warning("refresh_token_reused", account_id=str(token.account_id),
                        family_id=str(token.family_id))
        raise Unauthorized(INVALID)
    account = await session.get(Account, row.account_id)
    if account is None or account.deleted_at is not None:
        raise Unauthorized(INVALID)
    pair = await issue_pair(session, issuer, account, row.family_id, row.family_started_at)
    await session.commit()
    return pair


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> list[uuid.UUID]:
    """End one session; its id, for `announce_ended` (the caller commits)."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    # Even an already ended family is announced again: its access tokens may still live.
    return [family_id]


async def revoke_by_token(session: AsyncSession, raw: str) -> tuple[uuid.UUID, list[uuid.UUID]] | None:
    """Logout: end the session that `raw` belongs to → (account, [its id]); None if unknown."""
    row = (await session.execute(
        select(RefreshToken.account_id, RefreshToken.family_id)
        .where(RefreshToken.token_hash == secret_hash(raw)))).first()
    if row is None:
        return None
    return row.account_id, await revoke_family(session, row.family_id)


async def revoke_all(session: AsyncSession, account_id: uuid.UUID,
                     keep_family: uuid.UUID | None = None) -> list[uuid.UUID]:
    """End every session of the account except `keep_family` → their ids (the caller commits).
    Families ended in the last access-token lifetime are named too: their tokens may live on."""
    since = datetime.now(UTC) - timedelta(hours=1)
    query = select(RefreshToken.family_id).distinct().where(
        RefreshToken.account_id == account_id,
        (RefreshToken.revoked_at.is_(None)) | (RefreshToken.revoked_at > since)
        | (RefreshToken.expires_at > since))
    if keep_family is not None:
        query = query.where(RefreshToken.family_id != keep_family)
    families = list(await session.scalars(query))
    update_query = update(RefreshToken).where(
        RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None))
    if keep_family is not None:
        update_query = update_query.where(RefreshToken.family_id != keep_family)
    await session.execute(update_query.values(revoked_at=datetime.now(UTC)))
    return families


async def announce_ended(session: AsyncSession, account_id: uuid.UUID,
                         families: list[uuid.UUID]) -> None:
    """The event that puts these sessions on every verifier's deny-list (in the caller's
    transaction: committed with the revocation, never lost)."""
    if families:
        await emit(session, "account.sessions_revoked",
                   AccountSessionsRevoked(account_id=account_id, session_ids=families))
