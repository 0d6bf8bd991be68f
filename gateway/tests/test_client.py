"""The hop's own HTTP/1.1 client, seen through the gateway in front of scripted raw services."""

from __future__ import annotations

import asyncio

import httpx
import pytest

CART = {"X-Cart-Token": "t"}


class RawService:
    """A TCP server that answers each request with `answer(head)`: bytes, kept alive unless they
    say `connection: close`, or a list of bytes and pauses (seconds), after which it closes. It
    counts connections and keeps the heads it read; `delay` seconds pass before each answer."""

    def __init__(self, answer, delay: float = 0.0):
        self.answer = answer
        self.delay = delay
        self.connections = 0
        self.heads: list[bytes] = []

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc):
        self.server.close()

    async def _serve(self, reader, writer):
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.heads.append(head)
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                reply = self.answer(head)
                await asyncio.sleep(self.delay)
                for part in reply if isinstance(reply, list) else [reply]:
                    if isinstance(part, float):
                        await asyncio.sleep(part)
                    else:
                        writer.write(part)
                        await writer.drain()
                if isinstance(reply, list) or b"connection: close" in reply:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


def ok(body: bytes = b'{"ok": true}') -> bytes:
    return (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%b"
            % (len(body), body))


async def test_one_keep_alive_connection_serves_a_clients_requests_in_turn(gateway_factory):
    service = RawService(lambda head: ok())
    async with service as url, gateway_factory(cart_url=url) as gw:
        for _ in range(20):
            r = await gw.get("/api/cart", headers=CART)
            assert r.status_code == 200 and r.json() == {"ok": True}
    assert service.connections == 1
    assert len(service.heads) == 20
    first = service.heads[0].split(b"\r\n")
    assert first[0] == b"GET /api/cart HTTP/1.1"
    assert first[1] == b"host: " + url.split("//")[1].encode()


async def test_an_answer_without_a_length_ends_with_its_connection(gateway_factory):
    service = RawService(lambda head: b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n"
                                      b"connection: close\r\n\r\nfino alla chiusura")
    async with service as url, gateway_factory(cart_url=url) as gw:
        for _ in range(3):
            r = await gw.get("/api/cart", headers=CART)
            assert r.status_code == 200
            assert r.text == "fino alla chiusura"
    assert service.connections == 3  # a connection the service closed is never reused


async def test_a_head_answer_has_no_body_and_the_next_request_is_answered_whole(gateway_factory):
    def answer(head):
        if head.startswith(b"HEAD"):  # the length of the GET, and no body, as HTTP says
            return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n"
        return ok()

    service = RawService(answer)
    async with service as url, gateway_factory(cart_url=url) as gw:
        r = await gw.head("/api/cart", headers=CART)
        assert r.status_code == 200 and r.content == b""
        assert r.headers["content-length"] == "12"
        r = await gw.get("/api/cart", headers=CART)
        assert r.json() == {"ok": True}


async def test_bytes_that_are_not_http_are_a_502_problem(gateway_factory):
    service = RawService(lambda head: [b"SSH-2.0-OpenSSH_9.2\r\n\r\n", 0.5])
    async with service as url, gateway_factory(cart_url=url) as gw:
        r = await gw.get("/api/cart", headers=CART)
    assert r.status_code == 502
    assert r.headers["content-type"] == "application/problem+json"


async def test_a_service_that_closes_mid_answer_cuts_that_answer_only(gateway_factory):
    calls = []

    def answer(head):
        calls.append(head)
        if len(calls) == 1:
            return [b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\n\r\n"
                    b"solo un pezzo"]
        return ok()

    service = RawService(answer)
    async with service as url, gateway_factory(cart_url=url) as gw:
        with pytest.raises(httpx.RemoteProtocolError):
            await gw.get("/api/cart", headers=CART)
        r = await gw.get("/api/cart", headers=CART)
        assert r.status_code == 200 and r.json() == {"ok": True}


async def test_a_service_that_stalls_mid_answer_is_cut_at_the_route_timeout(gateway_factory):
    service = RawService(lambda head: [
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\n\r\ninizio", 5.0])
    async with service as url, gateway_factory(cart_url=url) as gw:
        start = asyncio.get_running_loop().time()
        with pytest.raises(httpx.RemoteProtocolError):
            await gw.get("/api/cart", headers=CART)
        assert asyncio.get_running_loop().time() - start < 2.0  # the route's time is 0.5 s



async def test_requests_beyond_the_pool_wait_for_a_free_connection(gateway_factory):
    service = RawService(lambda head: ok(), delay=0.05)
    async with service as url, gateway_factory(cart_url=url, upstream_pool_size=2) as gw:
        answers = await asyncio.gather(*(gw.get("/api/cart", headers=CART) for _ in range(10)))
    assert [a.status_code for a in answers] == [200] * 10
    assert service.connections == 2  # at most the pool's size, and each kept alive
