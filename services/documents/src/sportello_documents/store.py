"""The blobs: an object store by URL (obstore), a local directory unless production names S3,
GCS or Azure. A file is staged as it streams in, hashed on the way, then kept under its sha256."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import obstore
from obstore.store import from_url
from sportello.settings import Settings

from sportello_documents.domain import HEAD_BYTES, blob_key, staging_key


class TooLarge(Exception):
    pass


@dataclass
class Staged:
    key: str
    sha256: str
    size_bytes: int
    head: bytes


def store_url(settings: Settings) -> str:
    return settings.documents_store_url or (settings.data_dir / "documents").resolve().as_uri()


@lru_cache(maxsize=8)
def _store(url: str):
    return from_url(url, mkdir=True) if url.startswith("file:") else from_url(url)


class Blobs:
    def __init__(self, settings: Settings):
        self.store = _store(store_url(settings))

    async def stage(self, chunks: AsyncIterator[bytes], max_bytes: int) -> Staged:
        """Write the bytes to a staging key, hashing and counting them (TooLarge past max_bytes:
        the staged part is deleted)."""
        digest, state = hashlib.sha256(), {"size": 0, "head": b""}
        key = staging_key()

        async def counted():
            async for chunk in chunks:
                state["size"] += len(chunk)
                if state["size"] > max_bytes:
                    raise TooLarge()
                if len(state["head"]) < HEAD_BYTES:
                    state["head"] += chunk[:HEAD_BYTES - len(state["head"])]
                digest.update(chunk)
                yield chunk

        try:
            await obstore.put_async(self.store, key, counted())
        except BaseException:
            await self.discard(key)
            raise
        return Staged(key, digest.hexdigest(), state["size"], state["head"])

    async def keep(self, staged: Staged) -> None:
        """The staged bytes under their hash (the same bytes again: the one blob stays)."""
        await obstore.rename_async(self.store, staged.key, blob_key(staged.sha256))

    async def discard(self, key: str) -> None:
        try:
            await obstore.delete_async(self.store, key)
        except FileNotFoundError:
            pass

    async def read(self, sha256: str) -> AsyncIterator[bytes]:
        result = await obstore.get_async(self.store, blob_key(sha256))
        async for chunk in result.stream(min_chunk_size=256 * 1024):
            yield bytes(chunk)

    async def delete(self, sha256: str) -> None:
        await self.discard(blob_key(sha256))

    async def listed(self, prefix: str) -> AsyncIterator[tuple[str, datetime]]:
        """(key, last modified) of every object below a prefix ("blobs", "staging")."""
        async for batch in obstore.list(self.store, prefix=prefix):
            for meta in batch:
                yield meta["path"], meta["last_modified"]

    async def older_than(self, key: str, cutoff: datetime) -> bool:
        try:
            meta = await obstore.head_async(self.store, key)
        except FileNotFoundError:
            return False
        return meta["last_modified"] < cutoff
