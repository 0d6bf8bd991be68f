"""Pages of the running back office against the whole system: staff only, the queues, pricing a
quote with Italian errors next to the field, resending a failed email; never a 500."""

from __future__ import annotations

import re
import uuid

from sportello.testing import wait_for
from sportello.testing.forms import csrf_of, post_form

from .conftest import (
    CUSTOMER_PASSWORD,
    bank_transfer_order,
    customer_quote,
    register,
    request_quote,
    staff_login,
)

STAFF_ONLY = "Accesso riservato allo staff."


async def test_a_customers_login_is_refused_and_keeps_no_session(office, api):
    customer = await register(api)
    r = await post_form(office, "/accedi", "/accedi",
                        {"email": customer.email, "password": CUSTOMER_PASSWORD})
    assert r.status_code == 403
    assert STAFF_ONLY in r.text
    assert "Cruscotto" not in r.text  # no staff navigation for them
    # Nothing of the login stayed: the next page asks to log in again.
    r = await office.get("/")
    assert r.status_code == 303 and r.headers["location"].startswith("/accedi")


async def test_wrong_password_and_empty_fields_re_render_in_italian(office, system):
    r = await post_form(office, "/accedi", "/accedi", {"email": system.staff_email, "password": "no"})
    assert r.status_code == 401 and "Email o password non corretti." in r.text
    r = await post_form(office, "/accedi", "/accedi", {"email": "", "password": ""})
    assert r.status_code == 422
    assert "Indica la tua email." in r.text and "Indica la password." in r.text


async def test_without_a_staff_login_no_page_is_reachable(office):
    for path in ("/", "/preventivi", "/ordini", "/email", "/fatture", f"/preventivi/{uuid.uuid4()}",
                 f"/documenti/{uuid.uuid4()}", f"/fatture/{uuid.uuid4()}/pdf"):
        r = await office.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/accedi?next="), path
    # A form posted without its page's token is refused with an Italian page, not a 500.
    r = await office.post("/accedi", data={"email": "a@b.it", "password": "x"})
    assert r.status_code == 400 and "Modulo scaduto" in r.text


async def test_the_dashboard_counts_what_needs_a_person_and_links_each_queue(office, api, system):
    await staff_login(office, system)
    before = _tiles((await office.get("/")).text)
    assert set(before) == {
        ("Preventivi da prezzare", "/preventivi?stato=requested"),
        ("Modifiche richieste", "/preventivi?stato=changes_requested"),
        ("Bonifici da confermare", "/ordini?stato=awaiting_payment&amp;pagamento=bank_transfer"),
        ("Ordini pagati da avviare", "/ordini?stato=paid"),
        ("Ordini in lavorazione", "/ordini?stato=in_progress"),
        ("Recessi da gestire", "/ordini?stato=withdrawal_requested"),
        ("Fatture scartate da SDI", "/fatture?stato=rejected"),
        ("Email non consegnate", "/email")}
    customer = await register(api)
    await request_quote(api, customer)
    await bank_transfer_order(api, customer)
    after = _tiles((await office.get("/")).text)
    for label, href in (("Preventivi da prezzare", "/preventivi?stato=requested"),
                        ("Bonifici da confermare",
                         "/ordini?stato=awaiting_payment&amp;pagamento=bank_transfer")):
        assert int(after[(label, href)]) == int(before[(label, href)]) + 1, label


def _tiles(page: str) -> dict[tuple[str, str], str]:
    """(label, link) → the count each tile of the Cruscotto shows."""
    assert "<h1>Cruscotto</h1>" in page
    return {(label, href): count for href, count, label in re.findall(
        r'<a href="([^"]+)"><span class="tile-count">([^<]+)</span> <span class="tile-label">'
        r'([^<]+)</span>', page)}


async def test_staff_price_a_quote_after_fixing_a_bad_price_and_the_customer_sees_it(
        office, api, system):
    customer = await register(api)
    quote = await request_quote(api, customer, message="Serve anche il menù online.")
    await staff_login(office, system)
    listing = (await office.get("/preventivi?stato=requested")).text
    assert quote["number"] in listing and customer.email in listing
    page = (await office.get(f"/preventivi/{quote['id']}")).text
    assert "Serve anche il menù online." in page and "Un sito per la nostra trattoria." in page
    [line] = quote["lines"]
    field = f"prezzo-{line['line_id']}"

    # Nonsense in every field: 422, each message next to its field, nothing issued.
    r = await post_form(office, f"/preventivi/{quote['id']}", f"/preventivi/{quote['id']}/emetti",
                        {field: "tanti", "valid_until": "ieri", "note": ""})
    assert r.status_code == 422
    assert "Indica il prezzo netto in euro, ad esempio 1.250,00." in r.text
    assert "Indica una data nel formato AAAA-MM-GG." in r.text
    assert 'aria-invalid="true"' in r.text and 'value="tanti"' in r.text
    r = await post_form(office, f"/preventivi/{quote['id']}", f"/preventivi/{quote['id']}/emetti",
                        {field: "100", "valid_until": "2020-01-01"})
    assert r.status_code == 422 and "La validità non può essere nel passato." in r.text

    r = await post_form(office, f"/preventivi/{quote['id']}", f"/preventivi/{quote['id']}/emetti",
                        {field: "4.500,00", "valid_until": "2099-12-31", "note": "Menù incluso."})
    assert r.status_code == 303 and r.headers["location"] == f"/preventivi/{quote['id']}"
    page = (await office.get(r.headers["location"])).text
    assert f"Preventivo {quote['number']} inviato al cliente." in page
    assert "5.490,00\xa0€" in page  # 4.500,00 + 22 % IVA

    seen = await customer_quote(api, customer, quote["id"], "quoted")
    assert seen["totals"]["gross_cents"] == 549000 and seen["staff_note"] == "Menù incluso."


async def test_a_rejection_needs_a_reason_and_an_unknown_quote_is_a_404_page(office, api, system):
    customer = await register(api)
    quote = await request_quote(api, customer)
    await staff_login(office, system)
    r = await post_form(office, f"/preventivi/{quote['id']}", f"/preventivi/{quote['id']}/respingi",
                        {"reason": "  "})
    assert r.status_code == 422 and "Scrivi il motivo: il cliente lo leggerà." in r.text
    r = await post_form(office, f"/preventivi/{quote['id']}", f"/preventivi/{quote['id']}/respingi",
                        {"reason": "Non realizziamo siti di questo tipo."})
    assert r.status_code == 303
    await customer_quote(api, customer, quote["id"], "rejected")
    for path in (f"/preventivi/{uuid.uuid4()}", "/preventivi/non-un-id", f"/ordini/{uuid.uuid4()}",
                 "/preventivi/..%2F..%2Faccounts"):
        r = await office.get(path)
        assert r.status_code == 404 and "Pagina non trovata" in r.text, path


async def test_staff_resend_a_failed_email_from_its_queue(office, api, system):
    refused = f"rifiuta.{uuid.uuid4().hex[:8]}@example.it"  # the sink refuses it for good (550)
    await register(api, refused)
    await staff_login(office, system)

    async def listed():
        page = (await office.get("/email")).text
        return page if refused in page else None

    page = await wait_for(listed, timeout=20, message="failed email listed")
    assert "550" in page
    form = re.search(r'<form method="post" action="(/email/[0-9a-f-]+/reinvia)"[^>]*>\s*'
                     r'<input type="hidden" name="csrf_token" value="[^"]+">\s*'
                     rf'<button[^>]*aria-label="[^"]*{re.escape(refused)}"', page)
    assert form, "a resend button for the refused email"
    r = await office.post(form.group(1), data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303
    page = (await office.get("/email")).text
    assert f"Email a {refused} rimessa in coda di invio." in page


async def test_the_storefronts_session_and_security_rules_hold_here(office, system):
    before = (await office.get("/accedi"))
    assert "script-src 'self'" in before.headers["content-security-policy"]
    assert before.headers["x-frame-options"] == "DENY"
    anonymous = office.cookies.get("sportello_staff")
    r = await staff_login(office, system)
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith("sportello_staff=") and "httponly" in cookie and "samesite=lax" in cookie
    # A new session id at login: a cookie planted before is worth nothing after.
    assert office.cookies.get("sportello_staff") not in (None, anonymous)
    page = await office.get("/")
    assert page.headers["cache-control"] == "no-store"
    # Esci ends it: the pages ask for a login again.
    r = await post_form(office, "/", "/esci", {})
    assert r.status_code == 303 and r.headers["location"] == "/accedi"
    assert (await office.get("/")).status_code == 303
