"""The storefront's client of the gateway: it follows no redirect and builds no path but its own."""

from __future__ import annotations

from aiohttp import web
from sportello.testing.processes import free_port
from sportello.web.gateway import Gateway


async def test_the_client_never_follows_a_redirect_nor_sends_a_crafted_path():
    seen: list[tuple[str, str | None]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append((request.path, request.headers.get("Authorization")))
        if request.path == "/api/catalog/moved":
            raise web.HTTPTemporaryRedirect(f"http://127.0.0.1:{port}/elsewhere")
        return web.json_response({"ok": True})

    port = free_port()
    server = web.Application()
    server.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(server)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    gateway = Gateway(f"http://127.0.0.1:{port}")
    await gateway.start()
    try:
        r = await gateway.raw("GET", "/catalog/moved", headers={"Authorization": "Bearer t"})
        assert r.status == 307
        assert [p for p, _ in seen] == ["/api/catalog/moved"]  # /elsewhere never asked
        for crafted in ("/orders/..", "/orders/../accounts/me", "/orders/a?x=1", "/orders/a#b",
                        "/orders/%2e%2e", "/orders/a b"):
            r = await gateway.raw("GET", crafted, headers={"Authorization": "Bearer t"})
            assert r.status == 404, crafted
        assert len(seen) == 1
    finally:
        await gateway.close()
        await runner.cleanup()
