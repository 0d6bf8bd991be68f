"""The use cases: store an upload, deliver a file, attach files to an order or a quote, erase,
purge and collect (one transaction each; the blob is written before its row commits)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import structlog
from sportello.auth import Principal
from sportello.contracts.documents import DocumentRef, documents_in, issue_receipt, owner_of
from sportello.contracts.events import Contact, DocumentDelivered, QuoteMessagePosted
from sportello.contracts.fields import FieldError
from sportello.errors import ProblemError, TooManyRequests, ValidationFailed
from sportello.messaging import emit
from sqlalchemy.ext.asyncio import AsyncSession

from sportello_documents import domain, repository
from sportello_documents.models import Document
from sportello_documents.settings import DocumentsSettings
from sportello_documents.store import Blobs, TooLarge

log = structlog.get_logger()

ACCEPTED = ("Tipo di file non accettato: carica un PDF, un'immagine (JPEG, PNG, TIFF, HEIC), "
            "un documento Word, Excel o OpenDocument, un archivio ZIP o un file di testo.")


MAX_NOTE = 2000


class Refused(ProblemError):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status


async def store(session: AsyncSession, blobs: Blobs, chunks: AsyncIterator[bytes],
                name: Callable[[], str | None], settings: DocumentsSettings, *, kind: str, owner: str,
                customer_id: uuid.UUID | None = None, **where) -> Document:
    """Stage the bytes, check them, keep the blob, then add the row (the caller commits)."""
    limit = settings.documents_max_file_mb * 1_048_576
    try:
        staged = await blobs.stage(chunks, limit)
    except TooLarge:
        raise Refused(413, f"Il file supera il limite di {settings.documents_max_file_mb} MB.") from None
    content_type = domain.detect_type(staged.head)
    if staged.size_bytes == 0 or content_type is None:
        await blobs.discard(staged.key)
        if staged.size_bytes == 0:
            raise ValidationFailed([FieldError(field="file", message="Il file è vuoto.")])
        raise Refused(415, ACCEPTED)
    await blobs.keep(staged)
    doc = Document(id=uuid.uuid4(), kind=kind, name=domain.clean_name(name()),
                   content_type=content_type, size_bytes=staged.size_bytes, sha256=staged.sha256,
                   owner=owner, customer_id=customer_id, created_at=datetime.now(UTC), **where)
    session.add(doc)
    await session.flush()
    log.info("document_stored", document_id=str(doc.id), kind=kind, size_bytes=doc.size_bytes,
             content_type=content_type)
    return doc


async def upload(session: AsyncSession, blobs: Blobs, chunks: AsyncIterator[bytes],
                 name: Callable[[], str | None], owner: str, customer_id: uuid.UUID | None,
                 settings: DocumentsSettings) -> tuple[Document, str]:
    """A customer's or a visitor's draft and its receipt."""
    if await repository.drafts_of(session, owner) >= settings.documents_drafts_per_owner:
        raise TooManyRequests(3600, f"Hai già caricato {settings.documents_drafts_per_owner} file "
                                    "non ancora usati: riprova più tardi.")
    doc = await store(session, blobs, chunks, name, settings, kind="customer", owner=owner,
                      customer_id=customer_id)
    await session.commit()
    receipt = issue_receipt(settings.documents_secret, ref_of(doc), owner)
    return doc, receipt


async def deliver(session: AsyncSession, blobs: Blobs, chunks: AsyncIterator[bytes],
                  name: Callable[[], str | None], kind: str, parent_id: uuid.UUID,
                  staff: Principal, note_of: Callable[[], str | None],
                  settings: DocumentsSettings) -> Document:
    """Staff's file on an order or a quote; its customer is told (document.delivered). The name
    and the note are read once the body has streamed in (a field may follow the file)."""
    parent = await repository.parent(session, kind, parent_id)
    where = {"order_id": parent_id} if kind == "order" else {"quote_id": parent_id}
    doc = await store(session, blobs, chunks, name, settings, kind="deliverable",
                      owner=f"staff:{staff.id}", customer_id=parent.customer_id,
                      attached_at=datetime.now(UTC), **where)
    note = (note_of() or "").strip() or None
    if note and len(note) > MAX_NOTE:
        # The row rolls back with this; the blob is an orphan for the next collection.
        raise ValidationFailed([FieldError(field="note", message=f"Al massimo {MAX_NOTE} caratteri.")])
    doc.note = note
    await emit(session, "document.delivered", DocumentDelivered(
        document_id=doc.id, name=doc.name, content_type=doc.content_type,
        size_bytes=doc.size_bytes, number=parent.number, customer=Contact(**parent.customer),
        note=note, at=doc.created_at, **where))
    await session.commit()
    return doc


def ref_of(doc: Document) -> DocumentRef:
    return DocumentRef(id=doc.id, name=doc.name, content_type=doc.content_type,
                       size_bytes=doc.size_bytes, sha256=doc.sha256)


async def attach(session: AsyncSession, kind: str, parent_id: uuid.UUID, number: str,
                 customer: Contact, lines: list, at: datetime) -> int:
    """An order placed or a quote requested: remember whose it is, take the files its lines name."""
    await repository.remember_parent(session, kind, parent_id, number, customer.account_id,
                                     customer.model_dump(mode="json"))
    ids = [ref.id for line in lines for ref in documents_in(line.answers)]
    moved = await repository.attach(session, kind, parent_id, customer.account_id, ids, at)
    if moved:
        log.info("documents_attached", kind=kind, parent_id=str(parent_id), count=moved)
    return moved


async def attach_message_files(session: AsyncSession, data: QuoteMessagePosted,
                               at: datetime) -> int:
    """The files a quote's message names, if its author uploaded them (`quote.message_posted`
    carries the ids as the author typed them: only documents can tell whose they are)."""
    await repository.remember_parent(session, "quote", data.quote_id, data.number,
                                     data.customer.account_id, data.customer.model_dump(mode="json"))
    # Staff upload their drafts through POST /api/documents as any signed-in account does.
    author = data.customer.account_id if data.author == "customer" else data.author_id
    if author is None:
        return 0
    uploader = owner_of(author, None)
    return await repository.attach_message_files(session, data.quote_id, uploader,
                                                 data.customer.account_id, data.document_ids, at)


def may_read(doc: Document, principal: Principal | None, visitor: str | None) -> bool:
    """Its uploader, the customer it belongs to, and staff; anyone else is told it is not there."""
    if principal is not None and (principal.is_staff or doc.customer_id == principal.id
                                  or doc.owner == f"customer:{principal.id}"):
        return True
    return visitor is not None and doc.owner == visitor


async def purge_drafts(session: AsyncSession, settings: DocumentsSettings, now: datetime) -> int:
    return await repository.purge_drafts(session, now - timedelta(days=settings.documents_draft_days))


async def collect_orphans(session: AsyncSession, blobs: Blobs, settings: DocumentsSettings,
                          now: datetime) -> int:
    """Delete blobs no row names and staged uploads that never finished, older than the grace
    (an upload renames its blob before its row commits). Safe with replicas: a blob is checked
    again just before it goes, and one written since is younger than the grace."""
    cutoff = now - timedelta(minutes=settings.documents_orphan_grace_minutes)
    removed = 0
    async for key, modified in blobs.listed("staging"):
        if modified < cutoff:
            await blobs.discard(key)
            removed += 1
    old = [key async for key, modified in blobs.listed("blobs") if modified < cutoff]
    kept = await repository.referenced(session, [k.rsplit("/", 1)[-1] for k in old])
    for key in old:
        sha = key.rsplit("/", 1)[-1]
        if sha not in kept and await blobs.older_than(key, cutoff):
            await blobs.discard(key)
            removed += 1
    return removed
