"""Issuing access tokens (accounts uses it; tests use it to act as a customer or staff)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from sportello.keys import load_signing_key
from sportello.settings import Settings


class TokenIssuer:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.kid, self._key = load_signing_key(settings.jwt_keys_dir)

    def access_token(self, account_id: uuid.UUID, role: str, email: str | None = None,
                     extra_claims: dict | None = None) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": str(account_id),
            "role": role,
            "iss": self.settings.jwt_issuer,
            "aud": self.settings.jwt_audience,
            "iat": now,
            "exp": now + timedelta(minutes=self.settings.access_token_minutes),
            "jti": uuid.uuid4().hex,
        }
        if email:
            claims["email"] = email
        if extra_claims:
            # Additional claims never override the ones verifiers rely on.
            claims = {**extra_claims, **claims}
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.kid})

    @property
    def expires_in(self) -> int:
        return self.settings.access_token_minutes * 60
