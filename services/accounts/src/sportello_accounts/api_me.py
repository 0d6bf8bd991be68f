"""HTTP routes of IL MIO ACCOUNT: profile, password, billing data, privacy, export, deletion.

Every route acts on the caller's own account only (`Me`): there is no id in these paths, so
another customer's data cannot even be named.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from fastapi import APIRouter, Request, Response
from sportello.contracts.billing import Billing, billing_errors, normalised
from sportello.contracts.events import AccountDeleted
from sportello.contracts.fields import FieldError
from sportello.errors import Conflict, NotFound, ValidationFailed
from sportello.messaging import emit
from sqlalchemy import select

from sportello_accounts import domain, refresh, repository
from sportello_accounts.api import EMAIL_TAKEN
from sportello_accounts.deps import (
    Config,
    Denylist,
    Hasher,
    Me,
    Session,
    session_family,
)
from sportello_accounts.models import (
    Account,
    BillingProfile,
    ConsentEvent,
    LoginSource,
    PasswordReset,
    RefreshToken,
)
from sportello_accounts.ratelimit import Limit, give_back, hit
from sportello_accounts.schemas import (
    ConsentEntry,
    DeleteIn,
    PasswordChangeIn,
    PrivacyIn,
    PrivacyOut,
    ProfileOut,
    ProfilePatch,
)

log = structlog.get_logger()
router = APIRouter(prefix="/api/accounts/me", tags=["accounts"])

WRONG_PASSWORD = "La password non è corretta."


def _profile(account: Account, pending_email: str | None = None) -> ProfileOut:
    return ProfileOut.model_validate(
        {**{f: getattr(account, f) for f in ProfileOut.model_fields
            if f not in ("email_confirmed", "pending_email")},
         "email_confirmed": account.email_confirmed_at is not None,
         "pending_email": pending_email})


async def _require_password(session, settings, passwords, account: Account, password: str | None,
                            field: str) -> None:
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


# --- PROFILO -----------------------------------------------------------------------------------


@router.get("", response_model=ProfileOut)
async def get_profile(me: Me, session: Session):
    return _profile(me, await repository.pending_email(session, me))


@router.patch("", response_model=ProfileOut)
async def update_profile(body: ProfilePatch, me: Me, session: Session, passwords: Hasher,
                         settings: Config):
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
            await _require_password(session, settings, passwords, me, body.current_password,
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
    return _profile(me, await repository.pending_email(session, me))


@router.post("/password", status_code=204)
async def change_password(body: PasswordChangeIn, request: Request, me: Me, session: Session,
                          passwords: Hasher, settings: Config, denylist: Denylist):
    await _require_password(session, settings, passwords, me, body.current_password,
                            "current_password")
    domain.check_password(body.new_password, "new_password", me.email)
    me.password_hash = await passwords.hash(body.new_password)
    me.updated_at = datetime.now(UTC)
    # The other sessions end (their access tokens too); the one making the change goes on.
    ended = await refresh.revoke_all(session, me.id, keep_family=session_family(request))
    await refresh.announce_ended(session, me.id, ended)
    await repository.announce_password_changed(session, me, "change")
    await session.commit()
    await denylist.revoke_now(sessions=ended)
    log.info("password_changed", account_id=str(me.id))
    return Response(status_code=204)


# --- DATI DI FATTURAZIONE ----------------------------------------------------------------------


@router.get("/billing", response_model=Billing)
async def get_billing(me: Me, session: Session):
    profile = await repository.billing_of(session, me.id)
    if profile is None:
        raise NotFound("Non hai ancora salvato i dati di fatturazione.")
    return profile.data


@router.put("/billing", response_model=Billing)
async def put_billing(body: Billing, me: Me, session: Session):
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


# --- INFORMAZIONI PRIVACY ----------------------------------------------------------------------


async def _privacy(session, me: Account, settings) -> PrivacyOut:
    history = await repository.consent_history(session, me.id)
    return PrivacyOut(
        privacy_policy_version=me.privacy_policy_version, accepted_at=me.privacy_accepted_at,
        marketing_consent=domain.marketing_counts(me),
        marketing_consent_pending=me.marketing_consent and not domain.marketing_counts(me),
        current_privacy_policy_version=settings.privacy_policy_version,
        consents_history=[ConsentEntry.model_validate(c, from_attributes=True) for c in history],
    )


@router.get("/privacy", response_model=PrivacyOut)
async def get_privacy(me: Me, session: Session, settings: Config):
    return await _privacy(session, me, settings)


@router.put("/privacy", response_model=PrivacyOut)
async def put_privacy(body: PrivacyIn, me: Me, session: Session, settings: Config):
    if body.privacy_accepted is False:
        # The notice is not optional: withdrawing it means deleting the account.
        raise ValidationFailed([FieldError(
            field="privacy_accepted",
            message="L'informativa privacy è necessaria per avere un account: per revocarla "
                    "elimina l'account.")])
    changes = domain.consent_changes(
        marketing_now=me.marketing_consent, marketing_wanted=body.marketing_consent,
        accepted_version=me.privacy_policy_version, current_version=settings.privacy_policy_version,
        accept_current=bool(body.privacy_accepted),
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
    return await _privacy(session, me, settings)


@router.get("/export")
async def export(me: Me, session: Session, settings: Config):
    """Art. 15/20 GDPR: everything this service holds on the caller, machine-readable."""
    billing = await repository.billing_of(session, me.id)
    sessions = await session.scalars(
        select(RefreshToken).where(RefreshToken.account_id == me.id).order_by(RefreshToken.created_at))
    resets = await session.scalars(
        select(PasswordReset).where(PasswordReset.account_id == me.id)
        .order_by(PasswordReset.created_at))
    privacy = await _privacy(session, me, settings)
    return {
        "exported_at": datetime.now(UTC),
        "account": {**_profile(me, await repository.pending_email(session, me)).model_dump(),
                    "updated_at": me.updated_at, "email_confirmed_at": me.email_confirmed_at},
        # Addresses are kept only as hashes (to spare known places the email's guess ceiling).
        "login_places": [{"last_login_at": at} for at in await session.scalars(
            select(LoginSource.last_login_at).where(LoginSource.account_id == me.id)
            .order_by(LoginSource.last_login_at))],
        "privacy": privacy.model_dump(),
        "billing": billing.data if billing else None,
        # Tokens themselves are never kept; when each session started, was used and ended is.
        "sessions": [{"started_at": t.created_at, "expires_at": t.expires_at,
                      "rotated_at": t.spent_at, "revoked_at": t.revoked_at} for t in sessions],
        "password_resets": [{"requested_at": r.created_at, "expires_at": r.expires_at,
                             "used_at": r.used_at} for r in resets],
        "password": "conservata solo come hash argon2id, non esportabile",
    }


@router.delete("", status_code=204)
async def delete_account(body: DeleteIn, me: Me, session: Session, passwords: Hasher,
                         settings: Config, denylist: Denylist):
    await _require_password(session, settings, passwords, me, body.password, "password")
    await repository.erase(session, me)
    # Other services redact what they hold on this id (orders keep what invoicing law requires);
    # the same event puts the id on every verifier's deny-list.
    await emit(session, "account.deleted", AccountDeleted(account_id=me.id))
    await session.commit()
    # Its live access tokens stop now, before the event has even travelled.
    await denylist.revoke_now(subjects=[me.id])
    log.info("account_deleted", account_id=str(me.id))
    return Response(status_code=204)
