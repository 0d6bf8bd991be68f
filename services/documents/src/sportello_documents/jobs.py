"""Scheduled work: drafts no order took are purged; blobs no row names are collected."""

from __future__ import annotations

from datetime import UTC, datetime

from sportello.db import session_settings
from sportello.jobs import Job
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_documents import actions
from sportello_documents.settings import documents_settings
from sportello_documents.store import Blobs


async def purge_drafts(session: AsyncSession) -> int:
    return await actions.purge_drafts(session, documents_settings(session_settings(session)),
                                      datetime.now(UTC))


async def collect_orphans(session: AsyncSession) -> int:
    settings = documents_settings(session_settings(session))
    return await actions.collect_orphans(session, Blobs(settings), settings, datetime.now(UTC))


JOBS = [
    Job("documents.purge_drafts", 3600, purge_drafts),
    Job("documents.collect_orphans", 600, collect_orphans),
]
