"""Scheduled work of the cart: forget anonymous carts nobody has used for 30 days."""

from __future__ import annotations

from datetime import timedelta

from sportello.jobs import Job
from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_cart.models import CartSession

ANONYMOUS_CART_TTL = timedelta(days=30)


async def purge_anonymous_carts(session: AsyncSession) -> int:
    # Carts and their lines go with the session (ON DELETE CASCADE). Idempotent by nature.
    result = await session.execute(
        delete(CartSession).where(CartSession.touched_at < func.now() - ANONYMOUS_CART_TTL)
    )
    return result.rowcount or 0


PURGE_ANONYMOUS_CARTS = Job(name="cart.purge_anonymous_carts", every_seconds=3600,
                            run=purge_anonymous_carts)
