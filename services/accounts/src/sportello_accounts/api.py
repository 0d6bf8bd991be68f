"""HTTP routes of accounts: signing up and in (register, login, refresh, logout, password reset,
email confirmation, JWKS) and IL MIO ACCOUNT (profile, password, billing, privacy, export,
deletion). Parse, call an action, answer.

The IL MIO ACCOUNT routes act on the caller's own account only (`Me`): there is no id in those
paths, so another customer's data cannot even be named.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from jwt.algorithms import OKPAlgorithm
from sportello.auth import Staff
from sportello.contracts.billing import Billing
from sportello.errors import NotFound
from sportello.keys import load_public_keys

from sportello_accounts import actions, refresh, repository, views
from sportello_accounts.deps import (
    Address,
    Config,
    Denylist,
    Hasher,
    Issuer,
    Me,
    Session,
    session_family,
)
from sportello_accounts.schemas import (
    AccountOut,
    DeleteIn,
    EmailConfirmIn,
    LoginIn,
    PasswordChangeIn,
    PrivacyIn,
    PrivacyOut,
    ProfileOut,
    ProfilePatch,
    RefreshIn,
    RegisterIn,
    ResetConfirmIn,
    ResetRequestIn,
    StaffAccountOut,
    StaffAccountsPage,
    TokenPair,
)

router = APIRouter(prefix="/api/accounts", tags=["accounts"])
staff_router = APIRouter(prefix="/api/staff/accounts", tags=["staff"])


# --- signing up and in ---------------------------------------------------------------------------


@router.post("/register", status_code=201, response_model=AccountOut)
async def register(body: RegisterIn, session: Session, settings: Config, passwords: Hasher):
    return views.account_out(await actions.register(session, settings, passwords, body))


@router.post("/login", response_model=TokenPair)
async def login(body: LoginIn, session: Session, settings: Config, passwords: Hasher,
                issuer: Issuer, address: Address):
    return await actions.log_in(session, settings, passwords, issuer, body.email, body.password,
                                address)


@router.post("/refresh", response_model=TokenPair)
async def refresh_tokens(body: RefreshIn, session: Session, issuer: Issuer):
    return await refresh.rotate(session, issuer, body.refresh_token)


@router.post("/logout", status_code=204)
async def logout(body: RefreshIn, session: Session, denylist: Denylist):
    await actions.log_out(session, denylist, body.refresh_token)
    return Response(status_code=204)


@router.post("/password-reset", status_code=202)
async def request_password_reset(body: ResetRequestIn, session: Session, settings: Config,
                                 address: Address):
    await actions.request_password_reset(session, settings, body.email, address)
    # The same answer whether or not the address has an account (no enumeration).
    return {"detail": "Se l'indirizzo corrisponde a un account, riceverai un'email con il link "
                      "per scegliere una nuova password."}


@router.post("/password-reset/confirm", status_code=204)
async def confirm_password_reset(body: ResetConfirmIn, session: Session, passwords: Hasher,
                                 denylist: Denylist):
    await actions.reset_password(session, passwords, denylist, body.token, body.new_password)
    return Response(status_code=204)


@router.post("/email/confirm", response_model=AccountOut)
async def confirm_email(body: EmailConfirmIn, session: Session):
    return views.account_out(await actions.confirm_email(session, body.token))


@router.get("/.well-known/jwks.json")
async def jwks(request: Request, settings: Config, response: Response):
    # Read from disk on each request: a key added by `sportello keys --rotate` shows at once.
    keys = load_public_keys(settings.jwt_keys_dir, settings.jwt_public_keys)
    response.headers["Cache-Control"] = "public, max-age=300"
    return {"keys": [
        {**OKPAlgorithm.to_jwk(key, as_dict=True), "kid": kid, "alg": "EdDSA", "use": "sig"}
        for kid, key in sorted(keys.items())
    ]}


# --- IL MIO ACCOUNT: PROFILO ---------------------------------------------------------------------


@router.get("/me", response_model=ProfileOut)
async def get_profile(me: Me, session: Session):
    return views.profile_out(me, await repository.pending_email(session, me))


@router.patch("/me", response_model=ProfileOut)
async def update_profile(body: ProfilePatch, me: Me, session: Session, passwords: Hasher,
                         settings: Config):
    await actions.update_profile(session, settings, passwords, me, body)
    return views.profile_out(me, await repository.pending_email(session, me))


@router.post("/me/password", status_code=204)
async def change_password(body: PasswordChangeIn, request: Request, me: Me, session: Session,
                          passwords: Hasher, settings: Config, denylist: Denylist):
    await actions.change_password(session, settings, passwords, denylist, me,
                                  body.current_password, body.new_password,
                                  session_family(request))
    return Response(status_code=204)


# --- DATI DI FATTURAZIONE ------------------------------------------------------------------------


@router.get("/me/billing", response_model=Billing)
async def get_billing(me: Me, session: Session):
    profile = await repository.billing_of(session, me.id)
    if profile is None:
        raise NotFound("Non hai ancora salvato i dati di fatturazione.")
    return profile.data


@router.put("/me/billing", response_model=Billing)
async def put_billing(body: Billing, me: Me, session: Session):
    return await actions.save_billing(session, me, body)


# --- INFORMAZIONI PRIVACY ------------------------------------------------------------------------


async def _privacy(session, me, settings) -> PrivacyOut:
    return views.privacy_out(me, await repository.consent_history(session, me.id),
                             settings.privacy_policy_version)


@router.get("/me/privacy", response_model=PrivacyOut)
async def get_privacy(me: Me, session: Session, settings: Config):
    return await _privacy(session, me, settings)


@router.put("/me/privacy", response_model=PrivacyOut)
async def put_privacy(body: PrivacyIn, me: Me, session: Session, settings: Config):
    await actions.change_consents(session, settings, me, body.privacy_accepted,
                                  body.marketing_consent)
    return await _privacy(session, me, settings)


@router.get("/me/export")
async def export(me: Me, session: Session, settings: Config):
    """Art. 15/20 GDPR: everything this service holds on the caller, machine-readable."""
    rows = await repository.export_rows(session, me)
    return views.export_out(me, await repository.pending_email(session, me),
                            await _privacy(session, me, settings), rows)


@router.delete("/me", status_code=204)
async def delete_account(body: DeleteIn, me: Me, session: Session, passwords: Hasher,
                         settings: Config, denylist: Denylist):
    await actions.delete_account(session, settings, passwords, denylist, me, body.password)
    return Response(status_code=204)


# --- staff: Clienti ------------------------------------------------------------------------------


@staff_router.get("", response_model=StaffAccountsPage)
async def staff_accounts(
    staff: Staff, session: Session,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
):
    """Customers whose name, email, codice fiscale, partita IVA or company contains every word
    of `q` (any case), newest first."""
    rows, next_cursor = await repository.search_customers(session, q.strip(), limit=limit,
                                                          cursor=cursor)
    return StaffAccountsPage(items=[views.staff_summary(a, p) for a, p in rows],
                             next_cursor=next_cursor)


@staff_router.get("/{account_id}", response_model=StaffAccountOut)
async def staff_account(account_id: uuid.UUID, staff: Staff, session: Session):
    found = await repository.customer_for_staff(session, account_id)
    if found is None:
        raise NotFound("Cliente non trovato.")
    return views.staff_account_out(*found)
