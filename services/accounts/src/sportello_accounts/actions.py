"""The use cases of accounts: sign up and in, passwords, IL MIO ACCOUNT — load, check, write, emit.

Each commits its own transaction; the routes of `api.py` only parse and answer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import structlog
from sportello.contracts.billing import Billing, billing_errors, normalised
from sportello.contracts.events import AccountDeleted
from sportello.contracts.fields import FieldError
from sportello.errors import Conflict, Unauthorized, ValidationFailed
from sportello.messaging import emit
from sportello.revocations import Revocations
from sportello.tokens import TokenIssuer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_accounts import domain, refresh, repository
from sportello_accounts.models import Account, BillingProfile, ConsentEvent
from sportello_accounts.passwords import Passwords
from sportello_accounts.ratelimit import Limit, give_back, hit, within
from sportello_accounts.schemas import ProfilePatch, RegisterIn
from sportello_accounts.settings import AccountsSettings

log = structlog.get_logger()

WRONG_PAIR = "Email o password non corretti."
WRONG_PASSWORD = "La password non è corretta."
EMAIL_TAKEN = "Esiste già un account con questo indirizzo email."


async def _commit_unless_taken(session: AsyncSession) -> None:
    try:
        await session.commit()
    except IntegrityError as e:  # the address was taken meanwhile by a concurrent request
        raise Conflict(EMAIL_TAKEN) from e


def lenient_email(value: str) -> str:
    """Login and reset compare as stored, but never say whether the address was well-formed:
    a malformed one is just an address no account has."""
    return value.strip().lower()


# --- signing up and in ---------------------------------------------------------------------------


async def register(session: AsyncSession, settings: AccountsSettings, passwords: Passwords,
                   body: RegisterIn) -> Account:
    email = domain.normalise_email(body.email)
    errors = []
    if not body.privacy_accepted:
        errors.append(FieldError(field="privacy_accepted",
                                 message="Per registrarti devi accettare l'informativa privacy."))
    problem = domain.password_problem(body.password, email)
    if problem:
        errors.append(FieldError(field="password", message=problem))
    if errors:
        raise ValidationFailed(errors)
    if await repository.email_taken(session, email):
        raise Conflict(EMAIL_TAKEN)
    account = await repository.create_account(
        session, email=email, password_hash=await passwords.hash(body.password),
        first_name=body.first_name, last_name=body.last_name, role=domain.Role.CUSTOMER,
        privacy_version=settings.privacy_policy_version, marketing=body.marketing_consent,
        confirm_hours=settings.email_confirm_hours,
    )
    await _commit_unless_taken(session)
    log.info("account_registered", account_id=str(account.id))
    return account


async def log_in(session: AsyncSession, settings: AccountsSettings, passwords: Passwords,
                 issuer: TokenIssuer, email: str, password: str, address: str) -> dict:
    email = lenient_email(email)
    account = await repository.by_email(session, email)
    # Failures are counted per (email, source) and per source: a guesser elsewhere never locks
    # the owner out. Over all sources the email has a ceiling too (ASVS 2.2.1), which a source
    # the account logged in from before does not count against: the owner at home gets in.
    limits = [Limit("login-email-address", f"{email} {address}",
                    settings.login_failures_per_email_and_address),
              Limit("login-address", address, settings.login_failures_per_address)]
    if account is None or not await repository.known_source(session, account.id, address,
                                                            settings.known_source_days):
        limits.append(Limit("login-email", email, settings.login_failures_per_email))
    await hit(session, settings.rate_window_seconds, *limits)
    ok, new_hash = await passwords.verify(password, account.password_hash if account else None)
    if not ok or account is None:
        log.info("login_failed")
        raise Unauthorized(WRONG_PAIR)
    # A right password is not a failure: only failures count towards the limits.
    await give_back(session, settings.rate_window_seconds, *limits)
    if new_hash:
        account.password_hash = new_hash
        log.info("password_rehashed", account_id=str(account.id))
    await repository.remember_source(session, account.id, address)
    pair = await refresh.issue_pair(session, issuer, account)
    await session.commit()
    log.info("logged_in", account_id=str(account.id))
    return pair


async def log_out(session: AsyncSession, denylist: Revocations, refresh_token: str) -> None:
    ended = await refresh.revoke_by_token(session, refresh_token)
    if ended is not None:
        await refresh.announce_ended(session, *ended)
    await session.commit()
    if ended is not None:
        # Its access tokens die now, not when they expire (the event makes it certain).
        await denylist.revoke_now(sessions=ended[1])
        log.info("logged_out", account_id=str(ended[0]))


async def request_password_reset(session: AsyncSession, settings: AccountsSettings, email: str,
                                 address: str) -> None:
    email = lenient_email(email)
    # Per (email, source) and per source: 429 to that source only, never to the owner elsewhere.
    await hit(session, settings.rate_window_seconds,
              Limit("reset-email-address", f"{email} {address}",
                    settings.resets_per_email_and_address),
              Limit("reset-address", address, settings.resets_per_address))
    account = await repository.by_email(session, email)
    # Over all sources a few emails per window: more would only flood the mailbox, and the links
    # already sent still work, so the owner always has one.
    if account is not None and await within(
            session, settings.rate_window_seconds,
            Limit("reset-email", email, settings.reset_emails_per_email)):
        await repository.start_password_reset(session, account, settings.password_reset_minutes)
        await session.commit()
        log.info("password_reset_requested", account_id=str(account.id))


async def _set_password(session: AsyncSession, passwords: Passwords, denylist: Revocations,
                        account: Account, new_password: str, via: str,
                        keep_family: uuid.UUID | None = None) -> None:
    """The new password, every other session ended (their access tokens too), the owner told."""
    account.password_hash = await passwords.hash(new_password)
    account.updated_at = datetime.now(UTC)
    ended = await refresh.revoke_all(session, account.id, keep_family=keep_family)
    await refresh.announce_ended(session, account.id, ended)
    await repository.announce_password_changed(session, account, via)
    await session.commit()
    await denylist.revoke_now(sessions=ended)
    log.info("password_reset_done" if via == "reset" else "password_changed",
             account_id=str(account.id))


async def reset_password(session: AsyncSession, passwords: Passwords, denylist: Revocations,
                         token: str, new_password: str) -> None:
    problem = domain.password_problem(new_password)
    if problem:
        raise ValidationFailed([FieldError(field="new_password", message=problem)])
    account = await repository.use_password_reset(session, token)
    if account is None:
        raise ValidationFailed([FieldError(
            field="token", message="Il link per reimpostare la password non è valido o è scaduto.")])
    domain.check_password(new_password, "new_password", account.email)
    # Whoever knew the old password is logged out everywhere.
    await _set_password(session, passwords, denylist, account, new_password, "reset")


async def confirm_email(session: AsyncSession, token: str) -> Account:
    """The link sent to an address: it becomes the login and contact address, confirmed."""
    found = await repository.use_email_confirmation(session, token)
    if found is None:
        raise ValidationFailed([FieldError(
            field="token", message="Il link di conferma non è valido o è scaduto.")])
    account, email = found
    if email != account.email and await repository.email_taken(session, email,
                                                               other_than=account.id):
        raise Conflict(EMAIL_TAKEN)
    account.email = email
    account.email_confirmed_at = datetime.now(UTC)
    await repository.announce_update(session, account)
    await _commit_unless_taken(session)
    log.info("email_confirmed", account_id=str(account.id))
    return account


# --- IL MIO ACCOUNT ------------------------------------------------------------------------------


async def require_password(session: AsyncSession, settings: AccountsSettings, passwords: Passwords,
                           account: Account, password: str | None, field: str) -> None:
    """Re-authentication for sensitive changes; a wrong password names its field (422). Failures
    count per account as logins do: whoever holds a stolen session cannot guess on (429)."""
    if not password:
        raise ValidationFailed([FieldError(field=field, message="Inserisci la password attuale.")])
    limit = Limit("reauth-account", str(account.id), settings.reauth_failures_per_account)
    await hit(session, settings.rate_window_seconds, limit)
    ok, _ = await passwords.verify(password, account.password_hash)
    if not ok:
        log.info("password_recheck_failed", account_id=str(account.id))
        raise ValidationFailed([FieldError(field=field, message=WRONG_PASSWORD)])
    await give_back(session, settings.rate_window_seconds, limit)


async def update_profile(session: AsyncSession, settings: AccountsSettings, passwords: Passwords,
                         me: Account, body: ProfilePatch) -> None:
    sent = body.model_fields_set
    errors = [FieldError(field=f, message="Campo obbligatorio.")
              for f in ("first_name", "last_name", "email")
              if f in sent and getattr(body, f) is None]
    if errors:
        raise ValidationFailed(errors)
    changed = asked = False
    if body.email is not None:
        email = domain.normalise_email(body.email)
        if email != me.email:
            await require_password(session, settings, passwords, me, body.current_password,
                                   "current_password")
            if await repository.email_taken(session, email, other_than=me.id):
                raise Conflict(EMAIL_TAKEN)
            # The new address becomes the login only once a link sent to it is opened; the
            # current one is told (whoever borrowed the session cannot move the account quietly).
            await repository.request_email_change(session, me, email, settings.email_confirm_hours)
            asked = True
    for field in ("first_name", "last_name", "phone"):
        if field in sent and getattr(body, field) != getattr(me, field):
            setattr(me, field, getattr(body, field))
            changed = True
    if changed:
        await repository.announce_update(session, me)
    if changed or asked:
        await session.commit()
        log.info("profile_updated", account_id=str(me.id), email_change_requested=asked)


async def change_password(session: AsyncSession, settings: AccountsSettings, passwords: Passwords,
                          denylist: Revocations, me: Account, current_password: str,
                          new_password: str, family: uuid.UUID | None) -> None:
    await require_password(session, settings, passwords, me, current_password, "current_password")
    domain.check_password(new_password, "new_password", me.email)
    # The other sessions end; the one making the change goes on.
    await _set_password(session, passwords, denylist, me, new_password, "change", family)


async def save_billing(session: AsyncSession, me: Account, body: Billing) -> dict:
    errors = billing_errors(body)
    if errors:
        raise ValidationFailed(errors)
    data = normalised(body).model_dump(mode="json")
    profile = await repository.billing_of(session, me.id)
    if profile is None:
        session.add(BillingProfile(account_id=me.id, data=data))
    else:
        profile.data = data
        profile.updated_at = datetime.now(UTC)
    await session.commit()
    log.info("billing_saved", account_id=str(me.id))
    return data


async def change_consents(session: AsyncSession, settings: AccountsSettings, me: Account,
                          privacy_accepted: bool | None, marketing_consent: bool | None) -> None:
    if privacy_accepted is False:
        # The notice is not optional: withdrawing it means deleting the account.
        raise ValidationFailed([FieldError(
            field="privacy_accepted",
            message="L'informativa privacy è necessaria per avere un account: per revocarla "
                    "elimina l'account.")])
    changes = domain.consent_changes(
        marketing_now=me.marketing_consent, marketing_wanted=marketing_consent,
        accepted_version=me.privacy_policy_version, current_version=settings.privacy_policy_version,
        accept_current=bool(privacy_accepted),
    )
    now = datetime.now(UTC)
    for consent, granted, version in changes:
        session.add(ConsentEvent(account_id=me.id, consent=consent.value, granted=granted,
                                 policy_version=version, at=now))
        if consent is domain.Consent.MARKETING:
            me.marketing_consent = granted
        else:
            me.privacy_policy_version, me.privacy_accepted_at = version, now
    if changes:
        me.updated_at = now
        await session.commit()
        log.info("consents_changed", account_id=str(me.id), changes=len(changes))


async def delete_account(session: AsyncSession, settings: AccountsSettings, passwords: Passwords,
                         denylist: Revocations, me: Account, password: str | None) -> None:
    await require_password(session, settings, passwords, me, password, "password")
    await repository.erase(session, me)
    # Other services redact what they hold on this id (orders keep what invoicing law requires);
    # the same event puts the id on every verifier's deny-list.
    await emit(session, "account.deleted", AccountDeleted(account_id=me.id))
    await session.commit()
    # Its live access tokens stop now, before the event has even travelled.
    await denylist.revoke_now(subjects=[me.id])
    log.info("account_deleted", account_id=str(me.id))
