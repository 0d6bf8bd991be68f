"""HTTP routes of signing up and in: register, login, refresh, logout, password reset, email
confirmation, JWKS."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from fastapi import APIRouter, Request, Response
from jwt.algorithms import OKPAlgorithm
from sportello.contracts.fields import FieldError
from sportello.errors import Conflict, Unauthorized, ValidationFailed
from sportello.keys import load_public_keys
from sqlalchemy.exc import IntegrityError

from sportello_accounts import domain, refresh, repository
from sportello_accounts.deps import (
    Address,
    Config,
    Denylist,
    Hasher,
    Issuer,
    Session,
)
from sportello_accounts.ratelimit import Limit, give_back, hit, within
from sportello_accounts.schemas import (
    AccountOut,
    EmailConfirmIn,
    LoginIn,
    RefreshIn,
    RegisterIn,
    ResetConfirmIn,
    ResetRequestIn,
    TokenPair,
)

log = structlog.get_logger()
router = APIRouter(prefix="/api/accounts", tags=["accounts"])

WRONG_PAIR = "Email o password non corretti."
EMAIL_TAKEN = "Esiste già un account con questo indirizzo email."


@router.post("/register", status_code=201, response_model=AccountOut)
async def register(body: RegisterIn, session: Session, settings: Config, passwords: Hasher):
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
    try:
        await session.commit()
    except IntegrityError as e:  # registered meanwhile by a concurrent request
        raise Conflict(EMAIL_TAKEN) from e
    log.info("account_registered", account_id=str(account.id))
    return AccountOut(id=account.id, email=account.email, first_name=account.first_name,
                      last_name=account.last_name)


def _lenient_email(value: str) -> str:
    """Login and reset compare as stored, but never say whether the address was well-formed:
    a malformed one is just an address no account has."""
    return value.strip().lower()


@router.post("/login", response_model=TokenPair)
async def login(body: LoginIn, session: Session, settings: Config, passwords: Hasher,
                issuer: Issuer, address: Address):
    email = _lenient_email(body.email)
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
    ok, new_hash = await passwords.verify(body.password,
                                          account.password_hash if account else None)
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


@router.post("/refresh", response_model=TokenPair)
async def refresh_tokens(body: RefreshIn, session: Session, issuer: Issuer):
    return await refresh.rotate(session, issuer, body.refresh_token)


@router.post("/logout", status_code=204)
async def logout(body: RefreshIn, session: Session, denylist: Denylist):
    ended = await refresh.revoke_by_token(session, body.refresh_token)
    if ended is not None:
        await refresh.announce_ended(session, *ended)
    await session.commit()
    if ended is not None:
        # Its access tokens die now, not when they expire (the event makes it certain).
        await denylist.revoke_now(sessions=ended[1])
        log.info("logged_out", account_id=str(ended[0]))
    return Response(status_code=204)


@router.post("/password-reset", status_code=202)
async def request_password_reset(body: ResetRequestIn, session: Session, settings: Config,
                                 address: Address):
    email = _lenient_email(body.email)
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
    # The same answer whether or not the address has an account (no enumeration).
    return {"detail": "Se l'indirizzo corrisponde a un account, riceverai un'email con il link "
                      "per scegliere una nuova password."}


@router.post("/password-reset/confirm", status_code=204)
async def confirm_password_reset(body: ResetConfirmIn, session: Session, passwords: Hasher,
                                 denylist: Denylist):
    problem = domain.password_problem(body.new_password)
    if problem:
        raise ValidationFailed([FieldError(field="new_password", message=problem)])
    account = await repository.use_password_reset(session, body.token)
    if account is None:
        raise ValidationFailed([FieldError(
            field="token", message="Il link per reimpostare la password non è valido o è scaduto.")])
    domain.check_password(body.new_password, "new_password", account.email)
    account.password_hash = await passwords.hash(body.new_password)
    # Whoever knew the old password is logged out everywhere, and the owner is told.
    ended = await refresh.revoke_all(session, account.id)
    await refresh.announce_ended(session, account.id, ended)
    await repository.announce_password_changed(session, account, "reset")
    await session.commit()
    await denylist.revoke_now(sessions=ended)
    log.info("password_reset_done", account_id=str(account.id))
    return Response(status_code=204)


@router.post("/email/confirm", response_model=AccountOut)
async def confirm_email(body: EmailConfirmIn, session: Session):
    """The link sent to an address: it becomes the login and contact address, confirmed."""
    found = await repository.use_email_confirmation(session, body.token)
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
    try:
        await session.commit()
    except IntegrityError as e:  # taken meanwhile by a concurrent registration
        raise Conflict(EMAIL_TAKEN) from e
    log.info("email_confirmed", account_id=str(account.id))
    return AccountOut(id=account.id, email=account.email, first_name=account.first_name,
                      last_name=account.last_name)


@router.get("/.well-known/jwks.json")
async def jwks(request: Request, settings: Config, response: Response):
    # Read from disk on each request: a key added by `sportello keys --rotate` shows at once.
    keys = load_public_keys(settings.jwt_keys_dir, settings.jwt_public_keys)
    response.headers["Cache-Control"] = "public, max-age=300"
    return {"keys": [
        {**OKPAlgorithm.to_jwk(key, as_dict=True), "kid": kid, "alg": "EdDSA", "use": "sig"}
        for kid, key in sorted(keys.items())
    ]}
