"""Proxy mechanics through a real gateway in front of a real echo service."""

from __future__ import annotations

import asyncio
import hashlib
import time

import httpx


def headers_of(seen: dict) -> dict[str, str]:
    return {k: v for k, v in seen["headers"]}


async def test_request_reaches_the_service_with_path_query_and_forwarded_headers(gw):
    r = await gw.get("/api/catalog/services/caf%C3%A8?q=visura&category=a%20b",
                     headers={"X-Custom": "1", "X-Forwarded-For": "6.6.6.6"})
    assert r.status_code == 200
    seen = r.json()
    assert seen["method"] == "GET"
    assert seen["raw_path"] == "/api/catalog/services/caf%C3%A8"
    assert seen["query"] == "q=visura&category=a%20b"
    h = headers_of(seen)
    assert h["x-custom"] == "1"
    # The test client is a trusted local peer: its chain is kept and the peer appended.
    assert h["x-forwarded-for"] == "6.6.6.6, 127.0.0.1"
    assert h["x-forwarded-proto"] == "http"
    assert h["x-forwarded-host"] == gw.base_url.netloc.decode()
    assert h["x-request-id"] == r.headers["x-request-id"]


async def test_request_id_is_created_or_kept_and_returned_once(gw):
    created = await gw.get("/api/catalog/services")
    assert len(created.headers.get_list("x-request-id")) == 1
    assert len(created.headers["x-request-id"]) >= 32
    kept = await gw.get("/api/catalog/services", headers={"X-Request-ID": "client-abc-123"})
    assert kept.headers.get_list("x-request-id") == ["client-abc-123"]
    assert headers_of(kept.json())["x-request-id"] == "client-abc-123"


async def test_hop_by_hop_and_connection_listed_headers_are_not_passed_on(gw):
    r = await gw.get("/api/catalog/services", headers={
        "Connection": "keep-alive, X-Private", "X-Private": "secret", "Keep-Alive": "timeout=5",
        "Proxy-Authorization": "Basic eDp5", "TE": "trailers", "Upgrade": "h2c"})
    h = headers_of(r.json())
    for name in ("x-private", "keep-alive", "proxy-authorization", "te", "upgrade"):
        assert name not in h, name


async def test_internal_response_headers_are_stripped_and_security_headers_added(gw):
    r = await gw.get("/api/catalog/services")
    assert r.headers["x-upstream"] == "yes"          # ordinary headers pass
    assert "x-powered-by" not in r.headers
    assert "internal" not in r.headers.get("server", "")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in r.headers["content-security-policy"]


async def test_request_body_is_passed_intact_with_length_and_chunked(gw, upstream):
    body = bytes(range(256)) * 1000                   # 256 kB, under the 512 KiB limit
    r = await gw.post("/api/payments/webhooks/echo", content=body,
                      headers={"Content-Type": "application/octet-stream"})
    assert r.json()["body_len"] == len(body)
    assert r.json()["body_sha"] == hashlib.sha256(body).hexdigest()

    async def pieces():
        for _ in range(10):
            yield b"a" * 10_000

    r = await gw.put("/api/payments/webhooks/echo", content=pieces())
    assert r.status_code == 200
    assert r.json()["body_len"] == 100_000
    assert r.json()["body_sha"] == hashlib.sha256(b"a" * 100_000).hexdigest()


async def test_large_response_is_streamed_back_intact(gw, upstream):
    big = upstream.state.big
    async with gw.stream("GET", "/api/catalog/big") as r:
        assert r.status_code == 200
        got = b"".join([chunk async for chunk in r.aiter_raw()])
    assert len(got) == big
    assert got[:65536] == b"\x00" * 65536 and got[-1:] == bytes([(big // 65536 - 1) % 256])


async def test_too_large_body_is_413_and_never_reaches_the_service(gw, upstream):
    before = len(upstream.state.calls)
    r = await gw.post("/api/payments/webhooks/echo", content=b"x" * (600 * 1024))
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert "512 KiB" in r.json()["detail"]
    assert len(upstream.state.calls) == before


async def test_an_upload_route_streams_up_to_its_own_larger_limit(gateway_factory, upstream,
                                                                    settings):
    from sportello.testing import bearer

    async with gateway_factory(max_upload_bytes=2 * 1024 * 1024) as gw:
        body = b"u" * (1536 * 1024)       # over the 512 KiB of every other route
        r = await gw.post("/api/documents", content=body, headers={"X-Cart-Token": "t" * 40})
        assert r.status_code == 200, r.text
        assert r.json()["body_sha"] == hashlib.sha256(body).hexdigest()
        staff = bearer(settings, role="staff")
        before = len(upstream.state.calls)

        async def pieces():
            for _ in range(30):
                yield b"z" * 100_000          # 3 MB, never announced
        r = await gw.post("/api/staff/orders/1/documents", content=pieces(), headers=staff)
        assert r.status_code == 413 and r.json()["detail"] == "Il file supera il limite di 2 MB."
        r = await gw.post("/api/documents", content=b"x" * (3 * 1024 * 1024),
                          headers={"X-Cart-Token": "t" * 40})
        assert r.status_code == 413
        assert len(upstream.state.calls) == before
        # Not an upload: the small limit still holds next to it.
        r = await gw.post("/api/orders/1/documents", content=body, headers=staff)
        assert r.status_code == 413 and "512 KiB" in r.json()["detail"]


async def test_a_slow_upload_is_not_cut_at_the_ordinary_timeout(gw):
    async def trickle():
        for _ in range(6):
            await asyncio.sleep(0.25)                  # 1.5 s in all; the route timeout is 0.5 s
            yield b"s" * 50_000

    r = await gw.post("/api/documents", content=trickle(), headers={"X-Cart-Token": "t" * 40})
    assert r.status_code == 200, r.text
    assert r.json()["body_len"] == 300_000


async def test_too_large_chunked_body_is_413(gw):
    async def pieces():
        for _ in range(100):
            yield b"z" * 10_000                       # 1 MB, never announced

    r = await gw.post("/api/payments/webhooks/echo", content=pieces())
    assert r.status_code == 413


async def test_slow_service_is_a_504_problem_at_the_route_timeout(gw):
    start = time.monotonic()
    r = await gw.get("/api/catalog/slow")
    assert r.status_code == 504
    assert time.monotonic() - start < 2.0             # timeout 0.5 s; the service sleeps 3 s
    body = r.json()
    assert body["status"] == 504 and body["title"] == "Servizio troppo lento"


async def test_service_down_is_502_then_503_without_a_hang_or_a_leak(gateway_factory, settings):
    from sportello.testing import bearer

    async with gateway_factory() as gw:
        staff = bearer(settings, role="staff")
        first = await gw.get("/api/staff/notifications", headers=staff)
        assert first.status_code == 502
        assert first.headers["content-type"] == "application/problem+json"
        await gw.get("/api/staff/notifications", headers=staff)
        # After two refused connections the service is answered 503 at once, with a retry hint.
        third = await gw.get("/api/staff/notifications", headers=staff)
        assert third.status_code == 503
        assert int(third.headers["retry-after"]) >= 1
        for r in (first, third):
            assert "127.0.0.1" not in r.text and "http://" not in r.text
        # Other services are unaffected.
        assert (await gw.get("/api/catalog/services")).status_code == 200


async def test_a_crashed_service_answer_is_replaced_by_a_problem(gw):
    r = await gw.get("/api/catalog/crash")
    assert r.status_code == 502               # the service failed: a bad gateway answer
    assert r.headers["content-type"] == "application/problem+json"
    assert "postgresql" not in r.text and "Traceback" not in r.text


async def test_cookies_set_by_a_service_are_never_replayed_to_another_client(gw):
    first = await gw.get("/api/catalog/cookie")
    assert "session=abc" in first.headers["set-cookie"]    # the client gets it
    async with httpx.AsyncClient(base_url=str(gw.base_url)) as other:
        second = await other.get("/api/catalog/cookie")
    assert second.json()["cookie_seen"] is None


async def test_unknown_paths_and_dot_segments_are_404_problems(gw, upstream):
    before = len(upstream.state.calls)
    for path in ("/api/unknown", "/api/catalog/%2e%2e/staff/orders", "/api/catalog//x", "/nothing"):
        r = await gw.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"
    assert len(upstream.state.calls) == before


async def test_concurrent_requests_share_the_pool(gw):
    answers = await asyncio.gather(*(gw.get(f"/api/catalog/services/{i}") for i in range(50)))
    assert [a.json()["path"] for a in answers] == [f"/api/catalog/services/{i}" for i in range(50)]


async def test_a_service_redirect_never_reveals_its_internal_address(gw, upstream):
    r = await gw.get("/api/catalog/moved/")
    assert r.status_code == 307
    assert r.headers["location"] == "/api/catalog/categories?x=1"
    assert upstream.state.url.split("//")[1] not in r.headers["location"]


class ClosesAfterOneAnswer:
    """An HTTP/1.1 upstream that answers the first request of each connection with keep-alive
    and then closes that connection when the next request comes (as a dying or restarting
    service leaves a pooled connection): the second request on it gets no byte of answer."""

    def __init__(self):
        self.bodies: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc):
        self.server.close()

    async def _serve(self, reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            self.bodies.append(await reader.readexactly(length))
            writer.write(b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\n"
                         b"content-length: 2\r\nconnection: keep-alive\r\n\r\n{}")
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")  # the next request: dropped unanswered
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


async def test_a_pooled_connection_found_closed_is_retried_once_for_every_method(gateway_factory):
    upstream = ClosesAfterOneAnswer()
    async with upstream as url, gateway_factory(cart_url=url) as gw:
        for i, method in enumerate(["POST", "PATCH", "DELETE", "PUT", "POST"]):
            body = f'{{"n": {i}, "pad": "{"x" * 70_000}"}}'.encode()
            r = await gw.request(method, "/api/cart/items", content=body,
                                 headers={"X-Cart-Token": "t", "content-type": "application/json"})
            assert r.status_code == 201, (method, r.text)
        # Every body reached the service whole; the dropped tries never got an answer.
        assert {b for b in upstream.bodies if b} >= {
            f'{{"n": {i}, "pad": "{"x" * 70_000}"}}'.encode() for i in range(5)}
