"""The file field of a service form: its definition's rules, its answer's rules, and turning the
answer's upload receipts into the documents they vouch for (`forms.FIELD_TYPES["file"]`).

`f` is a `forms.FormField`; this module does not import forms, which registers these rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sportello.contracts.documents import KNOWN_TYPES, DocumentRef, ReceiptError, verify_receipt

MAX_FILES, MAX_FILE_MB = 10, 25


def file_definition(f: Any) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not f.accept:
        problems.append(("accept", "Indica almeno un tipo di file accettato."))
    elif unknown := [t for t in f.accept if t not in KNOWN_TYPES]:
        problems.append(("accept", f"Tipo di file non gestito: {', '.join(unknown)}."))
    if f.max_files is not None and not 1 <= f.max_files <= MAX_FILES:
        problems.append(("max_files", f"Il numero di file deve essere tra 1 e {MAX_FILES}."))
    if f.max_size_mb is not None and not 1 <= f.max_size_mb <= MAX_FILE_MB:
        problems.append(("max_size_mb", f"La dimensione massima deve essere tra 1 e {MAX_FILE_MB} MB."))
    return problems


def check_file(f: Any, value: Any) -> tuple[Any, str | None]:
    """Files whose receipts the cart has verified, checked against what the field accepts."""
    items = value if isinstance(value, list) else [value]
    if not items:
        return None, "Carica almeno un file."
    if len(items) > (f.max_files or 1):
        return None, f"Puoi caricare al massimo {f.max_files or 1} file."
    docs: list[dict] = []
    for item in items:
        try:
            doc = DocumentRef.model_validate(item)
        except ValueError:
            return None, "File non valido: caricalo di nuovo."
        if doc.content_type not in (f.accept or []):
            return None, f"Il file «{doc.name}» non è di un tipo accettato."
        if doc.size_bytes > (f.max_size_mb or MAX_FILE_MB) * 1024 * 1024:
            return None, f"Il file «{doc.name}» supera {f.max_size_mb or MAX_FILE_MB} MB."
        docs.append(doc.model_dump(mode="json"))
    return docs, None




# Turns one item of a file answer (an upload receipt, or a file the line already holds) into the
# document it vouches for; raises ReceiptError (or ValueError) when it cannot.
ReceiptCheck = Callable[[Any], DocumentRef]


def verified_files(raw: Any, receipts: ReceiptCheck | None) -> tuple[Any, str | None]:
    """A file answer is a list of upload receipts; only a caller that can verify them may accept it."""
    if receipts is None:
        return None, "Il caricamento dei file non è disponibile per questo servizio."
    items = raw if isinstance(raw, list) else [raw]
    docs = []
    for item in items:
        if isinstance(item, dict) and "receipt" in item:
            item = item["receipt"]
        if not isinstance(item, str | dict):
            return None, "Manca la ricevuta del file: caricalo di nuovo."
        try:
            docs.append(receipts(item).model_dump(mode="json"))
        except ReceiptError as e:
            return None, str(e)
        except ValueError:
            return None, "File non valido: caricalo di nuovo."
    return docs, None


def receipt_check(secret: str, uploaders: tuple[str, ...],
                  kept: tuple[DocumentRef, ...] = ()) -> ReceiptCheck:
    """What a cart line may carry: a receipt one of these uploaders holds, or a file the line
    already has (a corrected line keeps its files without uploading them again)."""
    held = {doc.id: doc for doc in kept}

    def check(item: Any) -> DocumentRef:
        if isinstance(item, str):
            last: ReceiptError | None = None
            for owner in uploaders:
                try:
                    return verify_receipt(secret, item, owner)
                except ReceiptError as e:
                    last = e
            raise last or ReceiptError("Documento non trovato.")
        doc = DocumentRef.model_validate(item)
        if held.get(doc.id) != doc:
            raise ReceiptError("Manca la ricevuta del file: caricalo di nuovo.")
        return doc
    return check


def stored_files(item: Any) -> DocumentRef:
    """A file as a stored line holds it (the cart verified it when the line was added)."""
    return DocumentRef.model_validate(item)
