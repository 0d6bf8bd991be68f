"""Access-token verification (EdDSA, algorithm pinned, iss and aud checked) and FastAPI deps.

Every service verifies the token again even though the gateway already did: a service reached
directly must not trust a caller. Both also refuse a token whose session ended or whose account
was erased (`sportello.revocations`).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Request

from sportello.errors import Forbidden, Unauthorized
from sportello.keys import load_public_keys
from sportello.settings import Settings

Role = Literal["customer", "staff"]


@dataclass(frozen=True)
class Principal:
    id: uuid.UUID
    role: Role
    email: str | None = None
    # The `sid` claim: the login session (refresh family) the token belongs to.
    session_id: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"


# How many verified tokens a process remembers: a client sends the same token until it expires.
VERIFIED_TOKENS = 4096


class TokenVerifier:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._keys = {}
        self._loaded_at = 0.0
        # token → (its principal, its exp): the signature and claims are checked once per token.
        self._verified: dict[str, tuple[Principal, float]] = {}
        self.reload()

    def reload(self) -> None:
        self._keys = load_public_keys(self.settings.jwt_keys_dir, self.settings.jwt_public_keys)
        self._loaded_at = time.monotonic()
        self._verified = {}  # a key withdrawn from the directory no longer vouches for a token

    def _key(self, kid: str | None):
        key = self._keys.get(kid or "")
        # A kid we do not know may be a freshly rotated key: look at the directory again,
        # at most once a second so a flood of forged kids costs nothing.
        if key is None and time.monotonic() - self._loaded_at > 1.0:
            self.reload()
            key = self._keys.get(kid or "")
        return key

    def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None and time.time() < known[1]:
            return known[0]
        principal, expires = self._verify(token)
        if len(self._verified) >= VERIFIED_TOKENS:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = (principal, expires)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise Unauthorized("Token non valido.") from e
        if header.get("alg") != "EdDSA":
            raise Unauthorized("Token non valido.")
        key = self._key(header.get("kid"))
        if key is None:
            raise Unauthorized("Token non valido.")
        try:
            claims = jwt.decode(
                token, key, algorithms=["EdDSA"], audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer, options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as e:
            raise Unauthorized("Sessione scaduta: accedi di nuovo.") from e
        except jwt.PyJWTError as e:
            raise Unauthorized("Token non valido.") from e
        role = claims.get("role")
        if role not in ("customer", "staff"):
            raise Unauthorized("Token non valido.")
        try:
            sub = uuid.UUID(claims["sub"])
        except (ValueError, TypeError) as e:
            raise Unauthorized("Token non valido.") from e
        sid = claims.get("sid")
        return Principal(id=sub, role=role, email=claims.get("email"),
                         session_id=str(sid)[:64] if sid else None), float(claims["exp"])


def bearer_token(request: Request) -> str | None:
    value = request.headers.get("authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Intestazione Authorization non valida: usa 'Bearer <token>'.")
    return token.strip()


# The dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency in a worker
# thread, a hop (and a GIL hand-over) on every request that costs more than the check itself.


async def optional_principal(request: Request) -> Principal | None:
    token = bearer_token(request)
    if token is None:
        return None
    principal = request.app.state.verifier.verify(token)
    # A valid signature is not enough: the session may have ended or the account been erased.
    await request.app.state.revocations.refuse_revoked(principal.id, principal.session_id)
    return principal


async def current_principal(request: Request) -> Principal:
    principal = await optional_principal(request)
    if principal is None:
        raise Unauthorized()
    return principal


async def current_customer(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Any signed-in account acting on its own data (staff included: they may shop too)."""
    return principal


async def staff_only(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.is_staff:
        raise Forbidden("Questa operazione è riservata allo staff.")
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
Customer = Annotated[Principal, Depends(current_customer)]
Staff = Annotated[Principal, Depends(staff_only)]
