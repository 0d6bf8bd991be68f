"""Settings of the documents service only (the store's URL and the receipts' secret are shared:
cart checks the receipts)."""

from __future__ import annotations

from sportello.settings import Settings


class DocumentsSettings(Settings):
    # The largest file a form or a delivery may carry (a field may ask for less).
    documents_max_file_mb: int = 25
    # An upload no order or quote took is deleted after these days (its receipt expires with it).
    documents_draft_days: int = 7
    # A blob or a staged upload no row names is collected only when older than this: an upload
    # writes its blob before its row commits.
    documents_orphan_grace_minutes: int = 60
    # Drafts one uploader may hold at once (an anonymous visitor could otherwise fill the store).
    documents_drafts_per_owner: int = 50


def documents_settings(settings: Settings | None = None) -> DocumentsSettings:
    if isinstance(settings, DocumentsSettings):
        return settings
    return DocumentsSettings(**(settings.model_dump() if settings is not None else {}))
