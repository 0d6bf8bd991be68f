"""The file field of a service form and the upload receipt cart checks without calling documents."""

import uuid
from datetime import UTC, datetime, timedelta

from sportello.contracts.documents import DocumentRef, ReceiptError, issue_receipt, verify_receipt
from sportello.contracts.forms import FormDefinition, definition_errors, price_answers

SECRET = "test-only-" + uuid.uuid4().hex
OWNER = "customer:" + str(uuid.uuid4())


def doc(**over) -> DocumentRef:
    return DocumentRef(**{"id": uuid.uuid4(), "name": "passaporto.pdf", "content_type": "application/pdf",
                          "size_bytes": 120_000, "sha256": "a" * 64, **over})


def form(**field) -> FormDefinition:
    return FormDefinition.model_validate({"fields": [{
        "name": "documento", "label": "Documento da tradurre", "type": "file", "required": True,
        "accept": ["application/pdf", "image/jpeg"], "max_files": 2, "max_size_mb": 5, **field}]})


def verifier(now=None):
    return lambda token: verify_receipt(SECRET, token, OWNER, now)


def errors_of(f, answers, receipts=None):
    priced, errors = price_answers(f, 5000, answers, receipts)
    return priced, {e.field: e.message for e in errors}


def test_a_receipt_vouches_for_the_document_its_owner_uploaded():
    d = doc()
    assert verify_receipt(SECRET, issue_receipt(SECRET, d, OWNER), OWNER) == d


def test_a_forged_receipt_is_refused():
    token = issue_receipt("another-installation-" + uuid.uuid4().hex, doc(), OWNER)
    try:
        verify_receipt(SECRET, token, OWNER)
    except ReceiptError as e:
        assert "non valida" in str(e)
    else:
        raise AssertionError("a receipt signed with another secret was accepted")


def test_another_visitors_receipt_is_not_found():
    token = issue_receipt(SECRET, doc(), OWNER)
    try:
        verify_receipt(SECRET, token, "cart:" + str(uuid.uuid4()))
    except ReceiptError as e:
        assert str(e) == "Documento non trovato."
    else:
        raise AssertionError("a receipt was accepted for someone who did not upload it")


def test_an_expired_receipt_is_refused():
    token = issue_receipt(SECRET, doc(), OWNER, now=datetime.now(UTC) - timedelta(days=8))
    try:
        verify_receipt(SECRET, token, OWNER)
    except ReceiptError as e:
        assert "scaduto" in str(e)
    else:
        raise AssertionError("an eight-day-old receipt was accepted")


def test_a_file_answer_keeps_the_verified_documents_and_adds_nothing_to_the_price():
    d = doc()
    priced, errors = errors_of(form(), {"documento": [{"receipt": issue_receipt(SECRET, d, OWNER)}]},
                               verifier())
    assert errors == {}
    assert priced.unit_net_cents == 5000
    assert priced.answers["documento"] == [d.model_dump(mode="json")]
    assert priced.answer_labels[0].value == "passaporto.pdf"


def test_file_answers_are_refused_where_receipts_cannot_be_checked():
    token = issue_receipt(SECRET, doc(), OWNER)
    _, errors = errors_of(form(), {"documento": [token]})
    assert "non è disponibile" in errors["answers.documento"]


def test_a_file_of_a_type_the_field_does_not_accept_is_refused():
    token = issue_receipt(SECRET, doc(name="foto.png", content_type="image/png"), OWNER)
    _, errors = errors_of(form(), {"documento": [token]}, verifier())
    assert errors["answers.documento"] == "Il file «foto.png» non è di un tipo accettato."


def test_too_many_or_too_big_files_are_refused():
    tokens = [issue_receipt(SECRET, doc(), OWNER) for _ in range(3)]
    _, errors = errors_of(form(), {"documento": tokens}, verifier())
    assert errors["answers.documento"] == "Puoi caricare al massimo 2 file."
    big = issue_receipt(SECRET, doc(size_bytes=6 * 1024 * 1024), OWNER)
    _, errors = errors_of(form(), {"documento": [big]}, verifier())
    assert "supera 5 MB" in errors["answers.documento"]


def test_a_required_file_field_left_empty_is_named():
    _, errors = errors_of(form(), {"documento": []}, verifier())
    assert errors["answers.documento"] == "Campo obbligatorio."


def test_a_file_field_definition_names_what_is_wrong():
    bad = form(accept=["application/x-msdownload"], max_files=0, max_size_mb=100)
    assert {e.field for e in definition_errors(bad)} == {
        "fields.0.accept", "fields.0.max_files", "fields.0.max_size_mb"}
    assert definition_errors(form()) == []
