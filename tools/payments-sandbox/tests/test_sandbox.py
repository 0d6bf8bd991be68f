"""The sandbox provider on its own: sessions, the hosted page, and webhooks retried until the
shop answers 2xx, each signed over its timestamp and raw body."""

from __future__ import annotations

import httpx
from aiohttp import web
from asgi_lifespan import LifespanManager
from sportello.testing import wait_for
from sportello.testing.processes import free_port
from sportello_orders.providers import sandbox as adapter
from sportello_payments_sandbox.app import create_app


async def test_webhooks_are_retried_until_the_shop_answers_and_are_signed(settings):
    port = free_port()
    hook = f"http://127.0.0.1:{port}/hook"
    app = create_app(settings.model_copy(update={"payment_sandbox_webhook_url": hook,
                                                 "payment_sandbox_url": "http://sandbox.test"}))
    received: list[tuple[bytes, str]] = []
    answers = iter([503])  # the shop is first unavailable, then fine

    async def receive(request: web.Request) -> web.Response:
        received.append((await request.read(), request.headers["Sandbox-Signature"]))
        return web.Response(status=next(answers, 200))

    server = web.Application()
    server.router.add_post("/hook", receive)
    runner = web.AppRunner(server)

    async with LifespanManager(app) as manager, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://sandbox.test") as c:
        assert (await c.get("/healthz")).status_code == 200
        r = await c.post("/v1/sessions", json={
            "order_id": "o-1", "reference": "SP-2026-000001", "amount_cents": 12_200,
            "description": "Ordine SP-2026-000001", "return_url": f"{settings.storefront_url}/esito"})
        assert r.status_code == 201
        session = r.json()
        page = await c.get(f"/pay/{session['id']}")
        assert "122,00 €" in page.text and "4242 4242 4242 4242" in page.text
        done = await c.post(f"/pay/{session['id']}", data={
            "card_number": "4242424242424242", "expiry": "12/34", "cvc": "123",
            "holder": "Mario Rossi"})
        assert done.status_code == 303
        assert done.headers["location"].startswith(f"{settings.storefront_url}/esito?session_id=")

        # Nobody listens at first: the delivery fails, then is retried once the shop is up.
        await wait_for(lambda: _attempts(c, session["id"], 1), message="first attempt")
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            state = await wait_for(lambda: _delivered(c, session["id"]), 15,
                                   message="delivered")
        finally:
            await runner.cleanup()
        [event] = state["events"]
        statuses = [d.get("status") for d in event["deliveries"]]
        assert statuses[0] is None and statuses[-2:] == [503, 200]
        # The same body every time, each signature valid for the shop's verifier.
        assert len({body for body, _ in received}) == 1
        for body, signature in received:
            adapter.verify(settings.payment_sandbox_secret, signature, body)
        # The session is closed: paying again is refused.
        again = await c.post(f"/pay/{session['id']}", data={"card_number": "4242424242424242"})
        assert again.status_code == 409


async def _attempts(c: httpx.AsyncClient, session_id: str, n: int):
    state = (await c.get(f"/v1/sessions/{session_id}")).json()
    return state["events"] and len(state["events"][0]["deliveries"]) >= n


async def _delivered(c: httpx.AsyncClient, session_id: str):
    state = (await c.get(f"/v1/sessions/{session_id}")).json()
    return state if state["events"] and state["events"][0]["delivered"] else None


async def test_the_sandbox_sends_customers_back_only_to_the_shop(settings):
    app = create_app(settings.model_copy(update={"payment_sandbox_url": "http://sandbox.test"}))
    async with LifespanManager(app) as manager, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://sandbox.test") as c:
        for url in ("https://evil.example/esito", "http://127.0.0.1:1/esito",
                    "javascript:alert(1)"):
            r = await c.post("/v1/sessions", json={
                "order_id": "o-1", "reference": "SP-2026-000001", "amount_cents": 100,
                "return_url": url})
            assert r.status_code == 422, url


def test_the_sandbox_refuses_to_run_for_a_public_shop_or_without_a_secret(settings):
    import pytest

    for bad in ({"storefront_url": "https://shop.example.it"}, {"payment_sandbox_secret": ""}):
        with pytest.raises(RuntimeError):
            create_app(settings.model_copy(update=bad))
