"""The file field of a service form: its definition's rules, its answer's rules, and turning the
answer's upload receipts into the documents they vouch for (`forms.FIELD_TYPES["file"]`).

`f` is a `forms.FormField`; this module does not import forms, which registers these rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sportello.contracts.documents import KNOWN_TYPES, DocumentRef, ReceiptError

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




# Turns a file answer's receipt into the document it vouches for (raises ReceiptError).
ReceiptCheck = Callable[[str], DocumentRef]


def verified_files(raw: Any, receipts: ReceiptCheck | None) -> tuple[Any, str | None]:
    """A file answer is a list of upload receipts; only a caller that can verify them may accept it."""
    if receipts is None:
        return None, "Il caricamento dei file non è disponibile per questo servizio."
    items = raw if isinstance(raw, list) else [raw]
    docs = []
    for item in items:
        token = item.get("receipt") if isinstance(item, dict) else item
        if not isinstance(token, str):
            return None, "Manca la ricevuta del file: caricalo di nuovo."
        try:
            docs.append(receipts(token).model_dump(mode="json"))
        except ReceiptError as e:
            return None, str(e)
    return docs, None
