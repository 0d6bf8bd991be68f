"""What a customer (and, through the API, staff) does in the browser tests, one step per function."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
from playwright.async_api import Page, expect
from sportello.testing import wait_for
from sportello.testing.shop_steps import (  # noqa: F401 (the shared steps, as the tests import them)
    GOOD_CF,
    accept_terms,
    checkout_to_payment,
    fill_billing,
    reload_until,
    starts,
)

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "una-password-sicura-1"
# A wrong codice fiscale (GOOD_CF, a valid one, is with the shared steps).
BAD_CF = "RSSMRA85T10A562X"


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def new_email() -> str:
    return f"cliente-{uuid.uuid4().hex[:10]}@example.it"


async def register(page: Page, email: str | None = None, *, from_login: bool = False) -> str:
    """Registrati (from the login page, keeping where the customer was going, or directly)."""
    email = email or new_email()
    if from_login:
        await page.get_by_role("link", name="Registrati").last.click()
    else:
        await page.goto("/registrati")
    await page.get_by_label(starts("Nome")).fill("Giulia")
    await page.get_by_label(starts("Cognome")).fill("Bianchi")
    await page.get_by_label(starts("Email")).fill(email)
    await page.get_by_label(starts("Password")).fill(PASSWORD)
    await page.get_by_label(starts("Ripeti la password")).fill(PASSWORD)
    await page.get_by_label(starts("Ho letto l'informativa privacy")).check()
    await page.get_by_role("button", name="Crea l'account").click()
    await expect(page.get_by_text("Registrazione completata")).to_be_visible()
    return email


async def open_service(page: Page, category: str, service: str) -> None:
    """Servizi menu (the header's disclosure button) → category → service page."""
    await page.goto("/")
    nav = page.get_by_role("navigation", name="Principale")
    await nav.get_by_role("button", name="Servizi").click()
    await nav.get_by_role("link", name=category, exact=True).click()
    await page.get_by_role("link", name=service, exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(service)


async def pay_by_card(page: Page, number: str = "4242 4242 4242 4242") -> None:
    """On the provider's hosted page."""
    await page.get_by_label(starts("Numero della carta")).fill(number)
    await page.get_by_label(starts("Scadenza (MM/AA)")).fill("12/34")
    await page.get_by_label(starts("Codice di sicurezza (CVC)")).fill("123")
    await page.get_by_label(starts("Titolare della carta")).fill("Giulia Bianchi")
    await page.get_by_role("button", name=re.compile("^Paga")).click()


class StaffApi:
    """Staff work through the API (there is no staff page in the shop)."""

    def __init__(self, system):
        self.api = system.api
        self.email, self.password = system.staff_email, system.staff_password

    async def _headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        r = await client.post(f"{self.api}/accounts/login",
                              json={"email": self.email, "password": self.password})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def issue_quote(self, quote_id: str, unit_net_cents: int, note: str,
                          billing: dict | None = None) -> dict:
        """Price every line (`billing`: the customer's billing data to tax them for)."""
        async with httpx.AsyncClient(timeout=10) as client:
            headers = await self._headers(client)
            quote = (await client.get(f"{self.api}/staff/quotes/{quote_id}", headers=headers)).json()
            from datetime import date, timedelta

            body = {"lines": [{"line_id": ln["line_id"], "unit_net_cents": unit_net_cents}
                              for ln in quote["lines"]],
                    "valid_until": (date.today() + timedelta(days=30)).isoformat(), "note": note}
            if billing is not None:
                body["billing"] = billing
            r = await client.post(f"{self.api}/staff/quotes/{quote_id}/issue", json=body,
                                  headers=headers)
            assert r.status_code == 200, r.text
            return r.json()

    async def deliver(self, order_id: str, name: str, content: bytes, note: str) -> dict:
        """A deliverable on an order, once documents has heard of the order."""

        async with httpx.AsyncClient(timeout=10) as client:
            headers = await self._headers(client)

            async def delivered():
                r = await client.post(f"{self.api}/staff/orders/{order_id}/documents",
                                      headers=headers, data={"note": note},
                                      files={"file": (name, content, "application/pdf")})
                return r.json() if r.status_code == 201 else None
            return await wait_for(delivered, timeout=20, interval=0.2, message="a delivery")

    async def write(self, quote_id: str, body: str) -> dict:
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.post(f"{self.api}/staff/quotes/{quote_id}/messages", json={"body": body},
                                  headers=await self._headers(client))
            assert r.status_code == 201, r.text
            return r.json()

    async def confirm_transfer(self, order_id: str) -> dict:
        async with httpx.AsyncClient(timeout=10) as client:
            headers = await self._headers(client)
            r = await client.post(f"{self.api}/staff/orders/{order_id}/confirm-transfer",
                                  headers=headers)
            assert r.status_code == 200, r.text
            return r.json()


    async def refund(self, order_id: str, body: dict) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.post(f"{self.api}/staff/orders/{order_id}/refund", json=body,
                                     headers=await self._headers(client))


async def mails_to(system, email: str) -> list[dict]:
    async with httpx.AsyncClient(timeout=5) as client:
        r = await client.get(f"{system.settings.mail_sink_url}/api/messages", params={"to": email})
        return r.json()["items"]
