"""Reading and writing accounts: the queries the routes and the operator command share."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sportello.contracts.events import (
    AccountRegistered,
    AccountUpdated,
    EmailChangeRequested,
    PasswordChanged,
    PasswordResetRequested,
)
from sportello.messaging import emit
from sportello.paging import keyset_page
from sqlalchemy import delete, literal_column, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_accounts.domain import (
    Consent,
    Role,
    deleted_email,
    marketing_counts,
    new_secret,
    secret_hash,
)
from sportello_accounts.models import (
    Account,
    BillingProfile,
    ConsentEvent,
    EmailConfirmation,
    LoginSource,
    PasswordReset,
    RefreshToken,
)


async def by_email(session: AsyncSession, email: str) -> Account | None:
    return await session.scalar(
        select(Account).where(Account.email == email, Account.deleted_at.is_(None)))


async def email_taken(session: AsyncSession, email: str, other_than: uuid.UUID | None = None) -> bool:
    query = select(Account.id).where(Account.email == email)
    if other_than is not None:
        query = query.where(Account.id != other_than)
    return await session.scalar(query) is not None


async def create_account(
    session: AsyncSession, *, email: str, password_hash: str, first_name: str, last_name: str,
    role: Role, privacy_version: str | None, marketing: bool, confirm_hours: int = 48,
) -> Account:
    """A new account with its consents recorded (the caller commits)."""
    now = datetime.now(UTC)
    account = Account(
        id=uuid.uuid4(), email=email, password_hash=password_hash, role=role.value,
        first_name=first_name, last_name=last_name, marketing_consent=marketing,
        privacy_policy_version=privacy_version, privacy_accepted_at=now if privacy_version else None,
        created_at=now, updated_at=now,
    )
    session.add(account)
    await session.flush()  # the consents below refer to it
    if privacy_version:
        session.add(ConsentEvent(account_id=account.id, consent=Consent.PRIVACY_POLICY.value,
                                 granted=True, policy_version=privacy_version, at=now))
        session.add(ConsentEvent(account_id=account.id, consent=Consent.MARKETING.value,
                                 granted=marketing, policy_version=privacy_version, at=now))
    if role is Role.CUSTOMER:
        # Staff users are internal: nobody else needs to learn of them (no welcome email).
        raw, expires_at = await start_email_confirmation(session, account, email, confirm_hours)
        # The welcome email carries the link; until it is opened the consent does not count.
        await emit(session, "account.registered", AccountRegistered(
            account_id=account.id, email=email, first_name=first_name, last_name=last_name,
            marketing_consent=marketing_counts(account), confirm_token=raw,
            confirm_expires_at=expires_at))
    return account


async def announce_update(session: AsyncSession, account: Account) -> None:
    account.updated_at = datetime.now(UTC)
    await emit(session, "account.updated", AccountUpdated(
        account_id=account.id, email=account.email, first_name=account.first_name,
        last_name=account.last_name, phone=account.phone,
        email_confirmed=account.email_confirmed_at is not None,
        marketing_consent=marketing_counts(account)))


async def start_email_confirmation(session: AsyncSession, account: Account, email: str,
                                   hours: int) -> tuple[str, datetime]:
    """A single-use link proving `email` is read by this account's owner → (secret, expiry).
    A newer link for the account replaces the older ones."""
    await session.execute(
        update(EmailConfirmation)
        .where(EmailConfirmation.account_id == account.id, EmailConfirmation.used_at.is_(None))
        .values(used_at=datetime.now(UTC)))
    raw = new_secret()
    expires_at = datetime.now(UTC) + timedelta(hours=hours)
    session.add(EmailConfirmation(account_id=account.id, email=email, token_hash=secret_hash(raw),
                                  expires_at=expires_at))
    return raw, expires_at


async def request_email_change(session: AsyncSession, account: Account, new_email: str,
                               hours: int) -> None:
    raw, expires_at = await start_email_confirmation(session, account, new_email, hours)
    await emit(session, "account.email_change_requested", EmailChangeRequested(
        account_id=account.id, email=account.email, new_email=new_email,
        first_name=account.first_name, token=raw, expires_at=expires_at))


async def pending_email(session: AsyncSession, account: Account) -> str | None:
    """A new address waiting for its confirmation link to be opened, if any."""
    return await session.scalar(
        select(EmailConfirmation.email)
        .where(EmailConfirmation.account_id == account.id, EmailConfirmation.used_at.is_(None),
               EmailConfirmation.expires_at > datetime.now(UTC),
               EmailConfirmation.email != account.email)
        .order_by(EmailConfirmation.created_at.desc()).limit(1))


async def use_email_confirmation(session: AsyncSession, raw: str) -> tuple[Account, str] | None:
    """Spend a valid confirmation link (atomically) → (its account, the address it proves)."""
    now = datetime.now(UTC)
    row = (await session.execute(
        update(EmailConfirmation)
        .where(EmailConfirmation.token_hash == secret_hash(raw), EmailConfirmation.used_at.is_(None),
               EmailConfirmation.expires_at > now)
        .values(used_at=now)
        .returning(EmailConfirmation.account_id, EmailConfirmation.email))).first()
    if row is None:
        return None
    account = await session.get(Account, row.account_id)
    if account is None or account.deleted_at is not None:
        return None
    return account, row.email


async def cancel_email_changes(session: AsyncSession, account: Account) -> None:
    """A new password also withdraws a pending change of address (the notice to the current
    address says so: whoever knew the old password may have asked for it)."""
    await session.execute(
        update(EmailConfirmation)
        .where(EmailConfirmation.account_id == account.id, EmailConfirmation.used_at.is_(None),
               EmailConfirmation.email != account.email)
        .values(used_at=datetime.now(UTC)))


async def announce_password_changed(session: AsyncSession, account: Account, via: str) -> None:
    """The security notice to the account's address (in the change's transaction)."""
    await cancel_email_changes(session, account)
    await emit(session, "account.password_changed", PasswordChanged(
        account_id=account.id, email=account.email, first_name=account.first_name, via=via,
        at=datetime.now(UTC)))


async def known_source(session: AsyncSession, account_id: uuid.UUID, source: str,
                       days: int) -> bool:
    since = datetime.now(UTC) - timedelta(days=days)
    return await session.scalar(select(LoginSource.account_id).where(
        LoginSource.account_id == account_id, LoginSource.source_hash == secret_hash(source),
        LoginSource.last_login_at > since)) is not None


async def remember_source(session: AsyncSession, account_id: uuid.UUID, source: str) -> None:
    now = datetime.now(UTC)
    await session.execute(
        insert(LoginSource).values(account_id=account_id, source_hash=secret_hash(source),
                                   last_login_at=now)
        .on_conflict_do_update(index_elements=["account_id", "source_hash"],
                               set_={"last_login_at": now}))


async def start_password_reset(session: AsyncSession, account: Account, minutes: int) -> None:
    raw = new_secret()
    expires_at = datetime.now(UTC) + timedelta(minutes=minutes)
    session.add(PasswordReset(account_id=account.id, token_hash=secret_hash(raw),
                              expires_at=expires_at))
    # The raw token travels only in the event (for the link in the email); we keep its hash.
    await emit(session, "account.password_reset_requested", PasswordResetRequested(
        account_id=account.id, email=account.email, first_name=account.first_name,
        token=raw, expires_at=expires_at))


async def use_password_reset(session: AsyncSession, raw: str) -> Account | None:
    """Spend a valid reset token (atomically: a link works once) → its account, or None."""
    now = datetime.now(UTC)
    account_id = await session.scalar(
        update(PasswordReset)
        .where(PasswordReset.token_hash == secret_hash(raw), PasswordReset.used_at.is_(None),
               PasswordReset.expires_at > now)
        .values(used_at=now)
        .returning(PasswordReset.account_id)
    )
    if account_id is None:
        return None
    account = await session.get(Account, account_id)
    if account is None or account.deleted_at is not None:
        return None
    # Any other link sent earlier stops working too: the password has just been chosen.
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.account_id == account_id, PasswordReset.used_at.is_(None))
        .values(used_at=now))
    return account


async def erase(session: AsyncSession, account: Account) -> None:
    """Erase what identifies the person; keep an anonymous tombstone (id, role, dates) so the id
    the other services hold still resolves to "deleted" (the caller emits and commits)."""
    for table in (BillingProfile, ConsentEvent, PasswordReset, RefreshToken, EmailConfirmation,
                  LoginSource):
        await session.execute(delete(table).where(table.account_id == account.id))
    now = datetime.now(UTC)
    account.email = deleted_email(account.id)
    account.password_hash = None
    account.first_name = ""
    account.last_name = ""
    account.phone = None
    account.privacy_policy_version = None
    account.privacy_accepted_at = None
    account.marketing_consent = False
    account.email_confirmed_at = None
    account.deleted_at = now
    account.updated_at = now


async def consent_history(session: AsyncSession, account_id: uuid.UUID) -> list[ConsentEvent]:
    return list(await session.scalars(
        select(ConsentEvent).where(ConsentEvent.account_id == account_id).order_by(ConsentEvent.id)))


async def billing_of(session: AsyncSession, account_id: uuid.UUID) -> BillingProfile | None:
    return await session.get(BillingProfile, account_id)


async def export_rows(session: AsyncSession, me: Account) -> dict:
    """Art. 15/20 GDPR: the rows this service holds on the caller besides the account itself."""
    billing = await billing_of(session, me.id)
    sessions = await session.scalars(
        select(RefreshToken).where(RefreshToken.account_id == me.id).order_by(RefreshToken.created_at))
    resets = await session.scalars(
        select(PasswordReset).where(PasswordReset.account_id == me.id)
        .order_by(PasswordReset.created_at))
    places = await session.scalars(
        select(LoginSource.last_login_at).where(LoginSource.account_id == me.id)
        .order_by(LoginSource.last_login_at))
    return {"billing": billing.data if billing else None, "sessions": list(sessions),
            "password_resets": list(resets), "login_places": list(places)}


# --- staff: Clienti -------------------------------------------------------------------------------

# What a search matches, case-insensitively; the same expressions as the trigram indexes of
# migration 0005, so PostgreSQL can use them for a match anywhere in the text.
# Written as SQL with no bound values: an index on an expression serves only that same expression.
ACCOUNT_SEARCH_TEXT = literal_column("(first_name || ' ' || last_name || ' ' || email)")
BILLING_SEARCH_TEXT = literal_column(
    "(coalesce(data ->> 'tax_code', '') || ' ' || coalesce(data ->> 'vat_number', '') || ' ' "
    "|| coalesce(data ->> 'company_name', ''))")


def _like_anywhere(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_customers(session: AsyncSession, q: str, *, limit: int, cursor: str | None
                           ) -> tuple[list[tuple[Account, BillingProfile | None]], str | None]:
    """Customers (not erased) whose name, email, codice fiscale, partita IVA or company name
    contains `q`, newest first; with their billing profile."""
    stmt = select(Account).where(Account.role == Role.CUSTOMER.value, Account.deleted_at.is_(None))
    words = q.split()[:6]  # bounded: each word is two index lookups
    for word in words:  # every word must match somewhere: "rossi mario" finds Mario Rossi
        pattern = _like_anywhere(word)
        stmt = stmt.where(or_(
            Account.id.in_(select(Account.id).where(ACCOUNT_SEARCH_TEXT.ilike(pattern))),
            Account.id.in_(select(BillingProfile.account_id)
                           .where(BILLING_SEARCH_TEXT.ilike(pattern)))))
    accounts, next_cursor = await keyset_page(session, stmt, Account.created_at, Account.id,
                                              limit=limit, cursor=cursor)
    profiles = {}
    if accounts:
        rows = await session.scalars(select(BillingProfile).where(
            BillingProfile.account_id.in_([a.id for a in accounts])))
        profiles = {p.account_id: p for p in rows}
    return [(a, profiles.get(a.id)) for a in accounts], next_cursor


async def customer_for_staff(session: AsyncSession, account_id: uuid.UUID
                             ) -> tuple[Account, BillingProfile | None] | None:
    account = await session.get(Account, account_id)
    if account is None or account.deleted_at is not None or account.role != Role.CUSTOMER.value:
        return None
    return account, await billing_of(session, account_id)
