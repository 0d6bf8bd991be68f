"""The Cruscotto's charts in the running back office: orders and revenue per day over 30 or 90
days and the quote funnel, each an SVG with a title, Italian axes and a table of its figures."""

from __future__ import annotations

import re

from .conftest import bank_transfer_order, confirm_transfer, register, request_quote, staff_login


def _revenue(page: str) -> str:
    return re.search(r"<strong>([^<]+)</strong> incassati", page).group(1)


def _funnel(page: str) -> dict[str, int]:
    table = page[page.index("Funnel dei preventivi, ultimi"):]
    return {label: int(n) for label, n in re.findall(
        r'<th scope="row">(Richiesti|Prezzati|Accettati|Ordinati)</th><td class="num"[^>]*>(\d+)</td>',
        table)}


async def test_the_charts_show_a_paid_order_and_a_requested_quote_in_italian(office, api, system):
    await staff_login(office, system)
    page = (await office.get("/")).text
    assert "Andamento degli ultimi 30 giorni" in page
    for title in ("Ordini al giorno, ultimi 30 giorni",
                  "Incassi al giorno (IVA inclusa), ultimi 30 giorni",
                  "Preventivi richiesti negli ultimi 30 giorni"):
        assert re.search(rf'<svg class="chart"[^>]*role="img"[^>]*>\s*<title id="[^"]+">'
                         rf'{re.escape(title)}</title>', page), title
    for axis in ("Giorno", "Ordini", "Euro", "Fase", "Preventivi"):
        assert f">{axis}</text>" in page, axis
    # One row per day in the table a screen reader reads, today's the last one.
    assert page.count('<tr><th scope="row">') == 30 + 4
    revenue_before, funnel_before = _revenue(page), _funnel(page)

    customer = await register(api)
    await request_quote(api, customer)
    order = await bank_transfer_order(api, customer)
    await confirm_transfer(office, order["id"])
    page = (await office.get("/")).text
    assert _funnel(page)["Richiesti"] == funnel_before["Richiesti"] + 1
    assert _revenue(page) != revenue_before and _revenue(page).endswith("\xa0€")
    assert re.search(r"\d{1,3}(\.\d{3})*,\d{2}\xa0€", _revenue(page))  # 1.234,56 €, as Italians
    assert "Conversione" in page and "Tempo mediano per prezzare" in page


async def test_the_period_toggles_to_90_days_and_nonsense_is_30(office, system):
    await staff_login(office, system)
    page = (await office.get("/?giorni=90")).text
    assert "Andamento degli ultimi 90 giorni" in page and "Ordini al giorno, ultimi 90 giorni" in page
    assert re.search(r'<a href="/\?giorni=90" aria-current="page">90 giorni</a>', page)
    assert page.count('<tr><th scope="row">') == 90 + 4
    for nonsense in ("abc", "7", "-1", "9" * 40):
        r = await office.get(f"/?giorni={nonsense}")
        assert r.status_code == 200 and "Andamento degli ultimi 30 giorni" in r.text, nonsense


async def test_the_rejected_invoices_tile_links_its_queue(office, system):
    await staff_login(office, system)
    page = (await office.get("/")).text
    assert re.search(r'<a href="/fatture\?stato=rejected"><span class="tile-count">\d+\+?</span> '
                     r'<span class="tile-label">Fatture scartate da SDI</span></a>', page)
