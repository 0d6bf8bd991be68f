"""Password hashing with argon2id (pwdlib), off the event loop, rehashing when the cost changes."""

from __future__ import annotations

import asyncio

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from sportello_accounts.settings import AccountsSettings


class Passwords:
    def __init__(self, settings: AccountsSettings):
        self._hash = PasswordHash((Argon2Hasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost,
            parallelism=settings.argon2_parallelism,
        ),))
        # Checked when an email is unknown, so a wrong email costs the same time as a wrong
        # password and the answer's timing does not tell which accounts exist.
        self._dummy = self._hash.hash("not-a-real-password-only-for-timing")

    # argon2 takes tens of milliseconds of CPU (it releases the GIL): run it in a thread so the
    # event loop keeps serving other requests meanwhile.
    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, stored: str | None) -> tuple[bool, str | None]:
        """(matches, new hash if the stored one used other parameters)."""
        if stored is None:
            await asyncio.to_thread(self._hash.verify, password, self._dummy)
            return False, None
        return await asyncio.to_thread(self._hash.verify_and_update, password, stored)
