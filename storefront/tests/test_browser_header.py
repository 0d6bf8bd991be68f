"""Issue 22 in the browser (Debian's chromium, the whole system): the customer's name at the top
left opening IL MIO ACCOUNT, the Servizi menu (keyboard, touch, screen reader, without
JavaScript) and the header's search. Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from .shop_steps import register, shot

expect.set_options(timeout=15_000)


def nav(page: Page):
    return page.get_by_role("navigation", name="Principale")


async def test_once_logged_in_the_name_at_the_top_left_of_every_page_opens_il_mio_account(
        page: Page):
    await page.goto("/")
    await expect(page.locator(".account-name")).to_have_count(0)
    await register(page)
    for path in ("/", "/servizi", "/servizio/sito-vetrina", "/carrello", "/cerca?q=sito"):
        await page.goto(path)
        name = page.get_by_role("link", name="IL MIO ACCOUNT: Giulia Bianchi")
        await expect(name).to_have_text("Giulia Bianchi")
        box, brand = await name.bounding_box(), await page.locator(".brand").bounding_box()
        # Top left: above the header row, starting where the brand starts.
        assert box["y"] < brand["y"] and box["x"] <= brand["x"] + 1, (path, box, brand)
    await shot(page, "22-nome-in-alto-a-sinistra")
    await page.get_by_role("link", name="IL MIO ACCOUNT: Giulia Bianchi").click()
    await expect(page).to_have_url(re.compile(r"/account$"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("IL MIO ACCOUNT")


async def test_the_servizi_menu_works_from_the_keyboard(page: Page):
    await page.goto("/carrello")
    button = nav(page).get_by_role("button", name="Servizi")
    menu = page.locator("#menu-servizi")
    await expect(button).to_have_attribute("aria-expanded", "false")
    await expect(button).to_have_attribute("aria-controls", "menu-servizi")
    await expect(menu).to_be_hidden()

    await button.focus()
    await page.keyboard.press("Enter")
    await expect(button).to_have_attribute("aria-expanded", "true")
    await expect(menu.get_by_role("link", name="Traduzioni", exact=True)).to_be_visible()
    await shot(page, "23-menu-servizi")
    await page.keyboard.press("Escape")
    await expect(menu).to_be_hidden()
    await expect(button).to_be_focused()
    await expect(button).to_have_attribute("aria-expanded", "false")

    await page.keyboard.press("Space")
    await expect(menu).to_be_visible()
    await page.keyboard.press("Space")
    await expect(menu).to_be_hidden()

    await page.keyboard.press("ArrowDown")  # opens and goes to the first entry
    await expect(menu.get_by_role("link", name="Tutte le categorie")).to_be_focused()
    await page.keyboard.press("ArrowDown")
    await expect(menu.get_by_role("link", name="Consulenza fiscale")).to_be_focused()
    await page.keyboard.press("ArrowUp")
    await page.keyboard.press("ArrowUp")  # wraps round to the last category
    await expect(menu.get_by_role("link", name="Consulenza aziendale")).to_be_focused()
    await page.keyboard.press("Home")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    await expect(menu.get_by_role("link", name="Traduzioni")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/servizi/traduzioni$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Traduzioni")


async def test_the_servizi_menu_opens_with_a_tap_and_closes_tapping_elsewhere(browser, system):
    context = await browser.new_context(base_url=system.settings.storefront_url, locale="it-IT",
                                        viewport={"width": 390, "height": 844}, is_mobile=True,
                                        has_touch=True)
    page = await context.new_page()
    try:
        await page.goto("/")
        button = nav(page).get_by_role("button", name="Servizi")
        await button.tap()
        await expect(button).to_have_attribute("aria-expanded", "true")
        await shot(page, "24-menu-servizi-telefono")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await page.touchscreen.tap(370, 830)  # far from the menu, bottom right
        await expect(page.locator("#menu-servizi")).to_be_hidden()
        await button.tap()
        await page.locator("#menu-servizi").get_by_role("link", name="Formazione").tap()
        await expect(page).to_have_url(re.compile(r"/servizi/formazione$"))
    finally:
        await context.close()


async def test_without_javascript_servizi_is_a_plain_link_to_the_categories(browser, system):
    context = await browser.new_context(base_url=system.settings.storefront_url, locale="it-IT",
                                        java_script_enabled=False)
    page = await context.new_page()
    try:
        await page.goto("/")
        await expect(nav(page).get_by_role("button", name="Servizi")).to_have_count(0)
        await nav(page).get_by_role("link", name="Servizi").click()
        await expect(page).to_have_url(re.compile(r"/servizi$"))
        await expect(page.get_by_role("link", name="Traduzioni")).to_be_visible()
    finally:
        await context.close()


async def test_the_header_search_finds_services_by_prefix_and_without_accents(page: Page):
    await page.goto("/servizi")
    box = page.get_by_role("search").get_by_label("Cerca un servizio")
    await box.fill("tradu")
    await box.press("Enter")
    await expect(page).to_have_url(re.compile(r"/cerca\?q=tradu$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Risultati per «tradu»")
    cards = page.locator(".service-card")
    for name in ("Traduzione professionale a pagina", "Traduzione asseverata (giurata)",
                 "Traduzione tecnica"):
        await expect(cards.get_by_role("link", name=name, exact=True)).to_be_visible()
    await expect(cards.first).to_contain_text("+ IVA")
    await shot(page, "25-ricerca-tradu")

    box = page.get_by_role("search").get_by_label("Cerca un servizio")
    await expect(box).to_have_value("tradu")
    await box.fill("contabilita")  # the name says "Contabilità"
    await box.press("Enter")
    await expect(cards.get_by_role("link", name="Contabilità regime forfettario", exact=True)).to_be_visible()
    await page.get_by_role("search").get_by_label("Cerca un servizio").fill("vìsura")
    await page.get_by_role("search").get_by_role("button", name="Cerca").click()
    await expect(cards.get_by_role("link", name="Visura camerale", exact=True)).to_be_visible()
    await cards.get_by_role("link", name="Dettagli di Visura camerale").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Visura camerale")

    await page.goto("/cerca?q=idraulico")
    await expect(page.get_by_text("Nessun servizio trovato")).to_be_visible()
    await expect(page.locator(".service-card")).to_have_count(0)
