"""Ordini in the running back office: a bank transfer's order in its queue, confirmed, moved with
an outcome the customer reads, refunded (a withdrawal, or in part after an early start); an
illegal move is refused with the service's Italian reason."""

from __future__ import annotations

from sportello.contracts.money import format_eur
from sportello.testing.forms import post_form

from .conftest import (
    bank_transfer_order,
    confirm_transfer,
    customer_order,
    register,
    staff_login,
)


async def test_staff_confirm_a_transfer_then_move_the_order_with_an_outcome(office, api, system):
    customer = await register(api)
    order = await bank_transfer_order(api, customer)
    await staff_login(office, system)

    queue = (await office.get("/ordini?stato=awaiting_payment&pagamento=bank_transfer")).text
    assert order["number"] in queue and "Bonifico bancario" in queue
    path = f"/ordini/{order['id']}"
    page = (await office.get(path)).text
    assert "Conferma il bonifico" in page and order["payment"]["bank_transfer"]["reference"] in page

    r = await post_form(office, path, f"{path}/conferma-bonifico", {"transfer_note": ""})
    assert r.status_code == 303
    page = (await office.get(path)).text
    assert "Bonifico confermato: l&#39;ordine è pagato." in page
    assert "Conferma il bonifico" not in page
    await customer_order(api, customer, order["id"], "paid")

    # Paid → completed skips a step: the service's reason, on the page, nothing moved.
    r = await post_form(office, path, f"{path}/stato", {"status": "completed", "note": "Fatto."})
    assert r.status_code == 409 and "Impossibile passare da «Pagato» a «Completato»." in r.text
    r = await post_form(office, path, f"{path}/stato", {"status": "spedito", "note": ""})
    assert r.status_code == 422 and "Scegli il nuovo stato." in r.text

    r = await post_form(office, path, f"{path}/stato",
                        {"status": "in_progress", "note": "Abbiamo iniziato il sito."})
    assert r.status_code == 303
    page = (await office.get(path)).text
    assert "Stato dell&#39;ordine aggiornato: il cliente vede l&#39;esito." in page
    seen = await customer_order(api, customer, order["id"], "in_progress")
    assert any(h["note"] == "Abbiamo iniziato il sito." for h in seen["status_history"])
    listing = (await office.get("/ordini?stato=in_progress")).text
    assert order["number"] in listing


async def test_staff_refund_a_withdrawal_in_full_after_its_reason_is_shown(office, api, system):
    customer = await register(api)
    order = await bank_transfer_order(api, customer)
    await staff_login(office, system)
    await confirm_transfer(office, order["id"])
    await customer_order(api, customer, order["id"], "paid")
    r = await api.post(f"/api/orders/{order['id']}/withdraw", headers=customer.headers,
                       json={"reason": "Abbiamo cambiato idea sul sito."})
    assert r.status_code == 202, r.text

    path = f"/ordini/{order['id']}"
    page = (await office.get(path)).text
    assert "Il cliente ha chiesto il recesso il" in page
    assert "Abbiamo cambiato idea sul sito." in page and "Il cliente ha receduto" in page

    r = await post_form(office, path, f"{path}/rimborso", {"refund_amount": "cento euro"})
    assert r.status_code == 422 and "Scrivi l&#39;importo in euro, ad esempio 1.250,00" in r.text
    # Without an early start the consumer gets everything back: the service's reason, by the field.
    r = await post_form(office, path, f"{path}/rimborso",
                        {"refund_amount": "100,00", "refund_note": "Metà del lavoro."})
    assert r.status_code == 422
    assert 'id="errore-refund_amount"' in r.text
    assert "Senza richiesta di inizio anticipato il cliente ha diritto al rimborso totale." in r.text

    r = await post_form(office, path, f"{path}/rimborso", {"refund_amount": "", "refund_note": ""})
    assert r.status_code == 303, r.text
    page = (await office.get(path)).text
    assert "Rimborso registrato" in page and "Rimborsati" in page
    assert 'action="/ordini/' + order["id"] + '/rimborso"' not in page
    await customer_order(api, customer, order["id"], "refunded")

    # Refunded already: the state machine's refusal, in Italian, on the page.
    r = await post_form(office, path, f"{path}/rimborso", {"refund_amount": ""})
    assert r.status_code == 409 and "Impossibile passare da «Rimborsato»" in r.text


async def test_staff_refund_part_of_an_early_started_order_with_a_note(office, api, system):
    customer = await register(api)
    order = await bank_transfer_order(api, customer, early_start=True)
    await staff_login(office, system)
    await confirm_transfer(office, order["id"])
    await customer_order(api, customer, order["id"], "paid")
    path = f"/ordini/{order['id']}"

    r = await post_form(office, path, f"{path}/rimborso", {"refund_amount": "100.000,00"})
    paid = format_eur(order["total_gross_cents"])
    assert r.status_code == 422
    assert f"Il rimborso non può superare l&#39;importo pagato ({paid})." in r.text
    r = await post_form(office, path, f"{path}/rimborso", {"refund_amount": "100,00"})
    assert r.status_code == 422 and 'id="errore-refund_note"' in r.text
    assert "Indica nella nota come è calcolato il rimborso parziale." in r.text

    r = await post_form(office, path, f"{path}/rimborso",
                        {"refund_amount": "100,00", "refund_note": "Eseguita la prima pagina."})
    assert r.status_code == 303, r.text
    page = (await office.get(path)).text
    assert "Rimborsati 100,00" in page and "Eseguita la prima pagina." in page
    seen = await customer_order(api, customer, order["id"], "refunded")
    assert seen["refund"]["amount_cents"] == 10000
