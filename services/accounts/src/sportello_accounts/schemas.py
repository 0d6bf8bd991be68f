"""The request and response shapes of API.md "Accounts"."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints
from sportello.contracts.people import PersonName

# Letters, spaces, apostrophes, hyphens and dots: the shared rule billing applies too.
Name = PersonName
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
# Length rules are checked by the domain (one Italian message); this bounds the body only.
Password = Annotated[str, StringConstraints(max_length=1024)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ./-]{6,20}$")]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Request(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=False)


class RegisterIn(Request):
    email: Email
    password: Password
    first_name: Name
    last_name: Name
    privacy_accepted: bool
    marketing_consent: bool = False


class AccountOut(BaseModel):
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str


class LoginIn(Request):
    email: Annotated[str, StringConstraints(max_length=254)]
    password: Password


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class RefreshIn(Request):
    refresh_token: Secret


class ProfileOut(BaseModel):
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    phone: str | None = None
    role: str
    created_at: datetime
    email_confirmed: bool = False
    # A new address asked for and not confirmed yet (the login stays `email` until then).
    pending_email: str | None = None


class ProfilePatch(Request):
    """Only the fields sent change; `phone: null` removes the phone. A new email needs the
    current password (whoever borrows an open session must not take the account over)."""

    first_name: Name | None = None
    last_name: Name | None = None
    phone: Phone | None = None
    email: Email | None = None
    current_password: Password | None = None


class PasswordChangeIn(Request):
    current_password: Password
    new_password: Password


class ConsentEntry(BaseModel):
    consent: Literal["privacy_policy", "marketing"]
    granted: bool
    policy_version: str | None = None
    at: datetime


class PrivacyOut(BaseModel):
    privacy_policy_version: str | None
    accepted_at: datetime | None
    # What counts: given, and for an address its owner confirmed.
    marketing_consent: bool
    # Given but waiting for the address to be confirmed.
    marketing_consent_pending: bool = False
    # The notice in force now: when it differs from the accepted one, the client asks again.
    current_privacy_policy_version: str
    consents_history: list[ConsentEntry]


class PrivacyIn(Request):
    marketing_consent: bool | None = None
    # True accepts the notice in force now (after it changed).
    privacy_accepted: bool | None = None


class DeleteIn(Request):
    password: Password


class ResetRequestIn(Request):
    email: Annotated[str, StringConstraints(max_length=254)]


class EmailConfirmIn(Request):
    token: Secret


class ResetConfirmIn(Request):
    token: Secret
    new_password: Password


# --- staff: Clienti -----------------------------------------------------------------------------


class StaffBilling(BaseModel):
    """What staff search and recognise a customer by in their DATI DI FATTURAZIONE."""

    customer_type: str | None = None
    company_name: str | None = None
    tax_code: str | None = None
    vat_number: str | None = None


class StaffAccountSummary(BaseModel):
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    created_at: datetime
    billing: StaffBilling | None = None


class StaffAccountOut(StaffAccountSummary):
    phone: str | None = None
    email_confirmed: bool = False
    marketing_consent: bool = False
    # The whole billing profile as the customer saved it (sportello.contracts.Billing).
    billing_profile: dict | None = None


class StaffAccountsPage(BaseModel):
    items: list[StaffAccountSummary]
    next_cursor: str | None = None
