"""Rows → response schemas."""

from __future__ import annotations

from sportello_documents.models import Document
from sportello_documents.schemas import DocumentList, DocumentOut


def document(doc: Document) -> DocumentOut:
    return DocumentOut(id=doc.id, kind=doc.kind, name=doc.name, content_type=doc.content_type,
                       size_bytes=doc.size_bytes, sha256=doc.sha256, note=doc.note,
                       created_at=doc.created_at, href=f"/api/documents/{doc.id}")


def documents(rows: list[Document]) -> DocumentList:
    return DocumentList(items=[document(d) for d in rows])
