"""Clienti for staff: search customers by name, email, codice fiscale, partita IVA (any case,
every word), keyset pages newest first, one customer with their billing profile; staff only."""

from __future__ import annotations

import random
import string
import uuid

from accounts_testkit import login, register, signed_in
from sportello_accounts.models import Account
from sqlalchemy import text, update

AZIENDA = {
    "customer_type": "azienda", "company_name": "Trattoria Da Gino S.r.l.",
    "vat_number": "12345670017", "first_name": "Gino", "last_name": "Verdi",
    "address": {"street": "Via Po 3", "postal_code": "10123", "city": "Torino",
                "province": "TO", "country": "IT"},
    "email": "amministrazione@example.com", "sdi_code": "ABC1234",
}
PRIVATO = {
    "customer_type": "privato", "first_name": "Maria", "last_name": "Bianchi",
    "tax_code": "RSSMRA85T10A562S",
    "address": {"street": "Via Roma 1", "postal_code": "20121", "city": "Milano",
                "province": "MI", "country": "IT"},
    "email": "maria.bianchi@example.com",
}


async def _staff_headers(client) -> dict[str, str]:
    account = await register(client)
    async with client.app.state.sessionmaker() as session, session.begin():
        await session.execute(update(Account).where(Account.id == uuid.UUID(account["id"]))
                              .values(role="staff"))
    r = await login(client, account["email"], account["password"])
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _customer_with_billing(client, billing: dict, **names) -> dict:
    customer = await signed_in(client, **names)
    r = await client.put("/api/accounts/me/billing", json=billing, headers=customer["headers"])
    assert r.status_code == 200, r.text
    return customer


async def _search(client, headers, q: str, **params) -> dict:
    r = await client.get("/api/staff/accounts", params={"q": q, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _tag() -> str:
    """Letters only (names allow no digits), unique enough to find this test's customers."""
    return "".join(random.choices(string.ascii_lowercase, k=10))


def _ids(page: dict) -> list[str]:
    return [item["id"] for item in page["items"]]


async def test_staff_find_a_customer_by_name_email_codice_fiscale_or_partita_iva(client):
    staff = await _staff_headers(client)
    tag = _tag()
    gino = await _customer_with_billing(client, AZIENDA, first_name="Gino", last_name=f"Verdi{tag}")
    maria = await _customer_with_billing(client, PRIVATO, first_name="Maria",
                                         last_name=f"Bianchi{tag}")

    assert _ids(await _search(client, staff, f"verdi{tag.upper()}")) == [gino["id"]]
    assert _ids(await _search(client, staff, f"gino VERDI{tag}")) == [gino["id"]]
    assert _ids(await _search(client, staff, maria["email"].upper())) == [maria["id"]]
    # Billing codes are another customer's too in this shared database: narrow by the tag.
    assert _ids(await _search(client, staff, f"rssmra85t10a562s bianchi{tag}")) == [maria["id"]]
    assert _ids(await _search(client, staff, f"12345670017 {tag}")) == [gino["id"]]
    assert _ids(await _search(client, staff, f"trattoria {tag}")) == [gino["id"]]
    found = (await _search(client, staff, f"verdi{tag}"))["items"][0]
    assert found["billing"] == {"customer_type": "azienda", "company_name": AZIENDA["company_name"],
                                "tax_code": None, "vat_number": "12345670017"}
    # Newest first; a wildcard typed by staff is a plain character.
    assert _ids(await _search(client, staff, tag)) == [maria["id"], gino["id"]]
    assert _ids(await _search(client, staff, f"%{tag}")) == []
    assert _ids(await _search(client, staff, f"nessuno-{tag}")) == []


async def test_the_search_pages_by_keyset_and_a_bad_cursor_is_a_422(client):
    staff = await _staff_headers(client)
    tag = _tag()
    made = [await signed_in(client, last_name=f"Neri{tag}") for _ in range(3)]
    first = await _search(client, staff, tag, limit=2)
    assert _ids(first) == [made[2]["id"], made[1]["id"]] and first["next_cursor"]
    second = await _search(client, staff, tag, limit=2, cursor=first["next_cursor"])
    assert _ids(second) == [made[0]["id"]] and second["next_cursor"] is None
    r = await client.get("/api/staff/accounts", params={"cursor": "non-un-cursore"}, headers=staff)
    assert r.status_code == 422


async def test_staff_read_one_customer_with_the_billing_profile(client):
    staff = await _staff_headers(client)
    maria = await _customer_with_billing(client, PRIVATO)
    r = await client.get(f"/api/staff/accounts/{maria['id']}", headers=staff)
    assert r.status_code == 200
    body = r.json()
    assert body["email"] == maria["email"].lower()
    assert body["billing_profile"]["tax_code"] == "RSSMRA85T10A562S"
    assert body["billing"]["customer_type"] == "privato"
    assert (await client.get(f"/api/staff/accounts/{uuid.uuid4()}", headers=staff)).status_code == 404
    assert (await client.get("/api/staff/accounts/non-un-id", headers=staff)).status_code == 422


async def test_customers_and_strangers_cannot_search_customers(client):
    customer = await signed_in(client)
    r = await client.get("/api/staff/accounts", headers=customer["headers"])
    assert r.status_code == 403
    assert (await client.get(f"/api/staff/accounts/{customer['id']}")).status_code == 401


async def test_a_search_can_use_the_trigram_indexes(client):
    async with client.app.state.sessionmaker() as session:
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join((await session.execute(text(
            "EXPLAIN SELECT id FROM accounts "
            "WHERE (first_name || ' ' || last_name || ' ' || email) ILIKE '%bianchi%'"))).scalars())
        assert "ix_accounts_search" in plan
        plan = "\n".join((await session.execute(text(
            "EXPLAIN SELECT account_id FROM billing_profiles WHERE (coalesce(data ->> 'tax_code', '')"
            " || ' ' || coalesce(data ->> 'vat_number', '') || ' ' || "
            "coalesce(data ->> 'company_name', '')) ILIKE '%rssmra%'"))).scalars())
        assert "ix_billing_profiles_search" in plan
