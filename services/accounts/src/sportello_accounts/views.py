"""Rows of accounts → the response schemas of API.md."""

from __future__ import annotations

from datetime import UTC, datetime

from sportello_accounts import domain
from sportello_accounts.models import Account, BillingProfile, ConsentEvent
from sportello_accounts.schemas import (
    AccountOut,
    ConsentEntry,
    PrivacyOut,
    ProfileOut,
    StaffAccountOut,
    StaffAccountSummary,
    StaffBilling,
)


def account_out(account: Account) -> AccountOut:
    return AccountOut(id=account.id, email=account.email, first_name=account.first_name,
                      last_name=account.last_name)


def profile_out(account: Account, pending_email: str | None = None) -> ProfileOut:
    return ProfileOut.model_validate(
        {**{f: getattr(account, f) for f in ProfileOut.model_fields
            if f not in ("email_confirmed", "pending_email")},
         "email_confirmed": account.email_confirmed_at is not None,
         "pending_email": pending_email})


def privacy_out(me: Account, history: list[ConsentEvent], current_version: str) -> PrivacyOut:
    return PrivacyOut(
        privacy_policy_version=me.privacy_policy_version, accepted_at=me.privacy_accepted_at,
        marketing_consent=domain.marketing_counts(me),
        marketing_consent_pending=me.marketing_consent and not domain.marketing_counts(me),
        current_privacy_policy_version=current_version,
        consents_history=[ConsentEntry.model_validate(c, from_attributes=True) for c in history],
    )


def export_out(me: Account, pending_email: str | None, privacy: PrivacyOut, rows: dict) -> dict:
    """Art. 15/20 GDPR: everything this service holds on the caller, machine-readable."""
    return {
        "exported_at": datetime.now(UTC),
        "account": {**profile_out(me, pending_email).model_dump(),
                    "updated_at": me.updated_at, "email_confirmed_at": me.email_confirmed_at},
        # Addresses are kept only as hashes (to spare known places the email's guess ceiling).
        "login_places": [{"last_login_at": at} for at in rows["login_places"]],
        "privacy": privacy.model_dump(),
        "billing": rows["billing"],
        # Tokens themselves are never kept; when each session started, was used and ended is.
        "sessions": [{"started_at": t.created_at, "expires_at": t.expires_at,
                      "rotated_at": t.spent_at, "revoked_at": t.revoked_at}
                     for t in rows["sessions"]],
        "password_resets": [{"requested_at": r.created_at, "expires_at": r.expires_at,
                             "used_at": r.used_at} for r in rows["password_resets"]],
        "password": "conservata solo come hash argon2id, non esportabile",
    }


def staff_billing(profile: BillingProfile | None) -> StaffBilling | None:
    if profile is None:
        return None
    return StaffBilling.model_validate({f: profile.data.get(f) for f in StaffBilling.model_fields})


def staff_summary(account: Account, profile: BillingProfile | None) -> StaffAccountSummary:
    return StaffAccountSummary(id=account.id, email=account.email, first_name=account.first_name,
                               last_name=account.last_name, created_at=account.created_at,
                               billing=staff_billing(profile))


def staff_account_out(account: Account, profile: BillingProfile | None) -> StaffAccountOut:
    return StaffAccountOut(**staff_summary(account, profile).model_dump(), phone=account.phone,
                           email_confirmed=account.email_confirmed_at is not None,
                           marketing_consent=domain.marketing_counts(account),
                           billing_profile=profile.data if profile else None)
