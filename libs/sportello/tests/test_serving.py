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


async def _raw_server(app):
    import uvicorn
    from sportello.serving import protocol
    from sportello.testing.processes import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical",
                                           lifespan="off", loop="none", http=protocol(10.0)))
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started, timeout=10, interval=0.01)
    return server, task, port


async def test_a_small_answer_arrives_whole_and_a_streamed_head_comes_before_its_body():
    release = asyncio.Event()

    async def app(scope, receive, send):
        await receive()
        if scope["path"] == "/small":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", b"5")]})
            await send({"type": "http.response.body", "body": b"hello"})
            return
        # A stream whose body waits for the client to have seen the head.
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await release.wait()
        await send({"type": "http.response.body", "body": b"late", "more_body": False})

    server, task, port = await _raw_server(app)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
        first = await asyncio.wait_for(reader.read(65536), 5)
        assert first.startswith(b"HTTP/1.1 200") and first.endswith(b"\r\n\r\nhello")
        writer.write(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert b"transfer-encoding: chunked" in head
        release.set()
        assert await asyncio.wait_for(reader.readuntil(b"0\r\n\r\n"), 5) == b"4\r\nlate\r\n0\r\n\r\n"
        writer.close()
    finally:
        server.should_exit = True
        await task


async def test_pipelined_requests_are_answered_in_order_and_close_is_honoured():
    async def app(scope, receive, send):
        await receive()
        body = scope["path"].encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    server, task, port = await _raw_server(app)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        everything = await asyncio.wait_for(reader.read(-1), 5)   # the server closes at the end
        answers = everything.split(b"HTTP/1.1 200 OK")[1:]
        assert [a.rsplit(b"\r\n\r\n", 1)[1] for a in answers] == [b"/a", b"/b", b"/c"]
        assert b"connection: close" in answers[2].lower()
        writer.close()
    finally:
        server.should_exit = True
        await task
