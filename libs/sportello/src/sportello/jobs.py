"""Scheduled work (expiry, auto-cancel, purges), safe when several replicas run it.

Each run holds a transaction-level advisory lock named after the job: a replica that finds it
taken skips that round. The job's own queries should still be idempotent (e.g. `UPDATE … WHERE
status = 'quoted' AND valid_until < …`), the lock only spares duplicate work.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = structlog.get_logger()


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[AsyncSession], Awaitable[int | None]]


async def run_once(job: Job, sessionmaker: async_sessionmaker[AsyncSession]) -> int | None:
    """One round of `job` in one transaction, if no other replica is running it. None if skipped."""
    lock_id = zlib.crc32(job.name.encode())
    async with sessionmaker() as session, session.begin():
        got = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": lock_id})
        if not got:
            return None
        done = await job.run(session)
    if done:
        log.info("job_ran", job=job.name, affected=done)
    return done or 0


async def run_forever(job: Job, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    while True:
        try:
            await run_once(job, sessionmaker)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.warning("job_failed", job=job.name, error=repr(e))
        await asyncio.sleep(job.every_seconds)
