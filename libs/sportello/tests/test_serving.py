"""Every `sportello serve` process closes connections whose request headers never finish."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import httpx
from sportello.testing import wait_for
from sportello.testing.processes import serve_processes


async def _closed_by_server(reader: asyncio.StreamReader) -> bool:
    try:
        return await reader.read(1024) == b""
    except ConnectionError:
        return True


async def test_connections_whose_headers_never_finish_are_closed(settings):
    async with serve_processes(settings, ["payments-sandbox"],
                               {"SPORTELLO_HEADER_TIMEOUT_SECONDS": "1"}) as running:
        url = urlsplit(running.payment_sandbox_url)
        conns = [await asyncio.open_connection(url.hostname, url.port) for _ in range(30)]
        for i, (_, writer) in enumerate(conns):
            if i % 3:  # some send a started request, some nothing at all
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                await writer.drain()
        start = time.monotonic()
        closed = await asyncio.wait_for(
            asyncio.gather(*(_closed_by_server(r) for r, _ in conns)), 10)
        assert all(closed) and time.monotonic() - start < 5
        for _, writer in conns:
            writer.close()
        # A client that finishes its headers in time is served as before.
        async with httpx.AsyncClient(base_url=running.payment_sandbox_url) as client:
            assert (await client.get("/healthz")).status_code == 200


async def test_an_unexpected_error_is_a_problem_500_on_a_connection_that_stays_open(lib_settings):
    """The gateway's pooled connection must survive a service's 500: uvicorn closes it when the
    exception reaches the server, and the next customer's request on it would be a 502."""
    import uvicorn
    from fastapi import APIRouter
    from sportello.service import Service
    from sportello.testing.processes import free_port

    router = APIRouter()

    @router.post("/api/boom")
    async def boom():
        raise RuntimeError("a bug")

    app = Service(name="boom", routers=[router], publishes=False).create_app(lib_settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical",
                                           lifespan="off", loop="none"))
    task = asyncio.create_task(server.serve())
    try:
        await wait_for(lambda: server.started, timeout=10, interval=0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(2):
            writer.write(b"POST /api/boom HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert head.startswith(b"HTTP/1.1 500")
            assert b"application/problem+json" in head and b"connection: close" not in head.lower()
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            assert b"Errore interno" in await reader.readexactly(length)
        writer.close()
    finally:
        server.should_exit = True
        await task
