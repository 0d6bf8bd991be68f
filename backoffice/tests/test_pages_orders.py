"""Ordini in the running back office: a bank transfer's order in its queue, confirmed, moved with
an outcome the customer reads; an illegal move is refused with the service's Italian reason."""

from __future__ import annotations

from sportello.testing.forms import post_form

from .conftest import bank_transfer_order, customer_order, register, staff_login


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
