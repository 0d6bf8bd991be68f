"""Scheduled work of the cart: forget anonymous carts nobody has used for 30 days."""

from __future__ import annotations

from datetime import timedelta

from sportello.jobs import Job
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_cart import repository

ANONYMOUS_CART_TTL = timedelta(days=30)


async def purge_anonymous_carts(session: AsyncSession) -> int:
    return await repository.delete_idle_sessions(session, ANONYMOUS_CART_TTL)


PURGE_ANONYMOUS_CARTS = Job(name="cart.purge_anonymous_carts", every_seconds=3600,
                            run=purge_anonymous_carts)
