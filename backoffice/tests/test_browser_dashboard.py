"""The Cruscotto's charts in Debian's Chromium: a paid order shows in the bars and the table,
the period switches to 90 days by keyboard, and at phone width nothing is wider than the screen
(a chart scrolls inside its panel)."""

from __future__ import annotations

import re

from playwright.async_api import expect
from sportello.web.filters import money

from .browser_steps import log_in, shot
from .conftest import bank_transfer_order, confirm_transfer, register, staff_headers, staff_login

expect.set_options(timeout=15_000)


async def revenue(api, system) -> int:
    r = await api.get("/api/staff/orders/report", params={"days": 30},
                      headers=await staff_headers(api, system))
    return r.json()["revenue_gross_cents"]


async def test_the_charts_show_a_paid_order_and_switch_to_90_days(new_page, api, office, system):
    customer = await register(api)
    order = await bank_transfer_order(api, customer)
    before = await revenue(api, system)
    await staff_login(office, system)
    await confirm_transfer(office, order["id"])
    # Other tests of the run have paid orders too: the chart shows this one on top of theirs.
    total = await revenue(api, system)
    assert total >= before + 109800
    shown = money(total)

    staff = await new_page(system.settings.backoffice_url)
    await log_in(staff, system.staff_email, system.staff_password)
    orders_chart = staff.get_by_role("img", name="Ordini al giorno, ultimi 30 giorni")
    await expect(orders_chart).to_be_visible()
    await expect(staff.get_by_role("img", name=re.compile("^Incassi al giorno"))).to_be_visible()
    await expect(staff.get_by_role("img", name="Preventivi richiesti negli ultimi 30 giorni")
                 ).to_be_visible()
    await expect(staff.locator(".chart-totals")).to_contain_text(shown)
    await staff.locator("summary", has_text="Dati in tabella").first.click()
    await expect(staff.get_by_role("table").first).to_contain_text("Giorno")
    await shot(staff, "bo-08-cruscotto-grafici")

    # The period by keyboard: focus the link and press Enter.
    await staff.get_by_role("link", name="90 giorni").focus()
    await staff.keyboard.press("Enter")
    await expect(staff).to_have_url(re.compile(r"\?giorni=90$"))
    await expect(staff.get_by_role("img", name="Ordini al giorno, ultimi 90 giorni")).to_be_visible()

    await staff.set_viewport_size({"width": 390, "height": 844})
    await staff.reload()
    assert await staff.evaluate("document.documentElement.scrollWidth") <= 390
    await shot(staff, "bo-09-cruscotto-telefono")
