"""The hop's HTTP/1.1 client: keep-alive pools to the services over httptools' parser.

aiohttp's `ClientSession` was most of the gateway's own CPU per request (bench/README.md,
"Gateway (item 3)"); the hop needs none of what it builds (cookies, redirects, decoding, str
headers), so the bytes the client sent pass through as bytes, parsed by the same llhttp that
uvicorn parses them with. An answer is streamed back with flow control both ways.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httptools

Headers = list[tuple[bytes, bytes]]

# Below uvicorn's 5 s keep-alive, so a socket the service is about to close is never reused.
IDLE_SECONDS = 4.0
# An answer the client reads slower than the service writes is held to this, then the socket waits.
HIGH_WATER = 256 * 1024


class UpstreamError(Exception):
    """The service could not be asked or did not answer; the subclasses say which."""


class ConnectFailed(UpstreamError):
    """No connection was made: the request never reached the service."""


class Dropped(UpstreamError):
    """The connection closed before any byte of an answer: the service never took the request."""


class UpstreamTimeout(UpstreamError):
    """The route's time ran out."""


class BadAnswer(UpstreamError):
    """The service's bytes are not an HTTP/1.1 answer, or it closed in the middle of one."""


class Answer:
    """A service's answer: its head at once, its body as it comes."""

    def __init__(self, connection: _Connection):
        self._connection = connection
        self.status = 0
        self.headers: Headers = []

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k.lower() == name), None)

    async def chunks(self) -> AsyncIterator[bytes]:
        connection = self._connection
        while True:
            chunk = await connection.next_chunk()
            if chunk is None:
                return
            yield chunk

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])


class _Connection(asyncio.Protocol):
    """One socket to one service: one request at a time, then back to its pool if reusable."""

    def __init__(self):
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = time.monotonic()
        self._answer: Answer | None = None
        self._head: asyncio.Future | None = None
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._paused = False
        self._complete = False
        self._keep_alive = False
        self._head_only = False
        self.request_sent = False  # a request cut short leaves the service mid-body: never reuse
        self._wake: asyncio.Future | None = None
        self._error: UpstreamError | None = None
        self._writable: asyncio.Future | None = None
        self._timer: asyncio.TimerHandle | None = None

    # -- one exchange -------------------------------------------------------------------------

    def begin(self, loop: asyncio.AbstractEventLoop, head_only: bool, deadline: float) -> Answer:
        self._answer = Answer(self)
        self._head = loop.create_future()
        self._chunks.clear()
        self._buffered = 0
        self._complete = self._keep_alive = False
        self._head_only = head_only
        self.request_sent = False
        self._error = None
        self._timer = loop.call_at(deadline, self._time_out)
        return self._answer

    def end(self) -> bool:
        """Whether this connection may serve the next request (its answer was read whole)."""
        if self._timer is not None:
            self._timer.cancel()
        reusable = (self._complete and self._keep_alive and self.request_sent
                    and not self._head_only and self._error is None and not self.closed)
        if self._head.done() and not self._head.cancelled():
            self._head.exception()  # a failure nobody awaited (the client's body failed first)
        self._answer = self._head = None
        self.idle_since = time.monotonic()
        if not reusable:
            self.close()
        return reusable

    @property
    def listening(self) -> bool:
        """Whether the service still reads the request: it has neither closed nor answered."""
        return not self.closed and not self._head.done()

    def write(self, data: bytes) -> None:
        if not self.closed:
            self.transport.write(data)

    async def drain(self) -> None:
        if self._writable is not None:
            await self._writable

    async def head(self) -> Answer:
        return await self._head

    async def next_chunk(self) -> bytes | None:
        while not self._chunks:
            if self._complete:
                return None
            if self._error is not None:
                raise self._error
            self._wake = asyncio.get_running_loop().create_future()
            try:
                await self._wake
            finally:
                self._wake = None
        chunk = self._chunks.popleft()
        self._buffered -= len(chunk)
        if self._paused and self._buffered < HIGH_WATER // 4 and not self.closed:
            self._paused = False
            self.transport.resume_reading()
        return chunk

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.close()

    # -- the parser's and the transport's callbacks -------------------------------------------

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self._answer is None or self._complete:  # bytes nobody asked for: trust it no more
            return self.close()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as e:
            self._fail(BadAnswer(f"unparseable answer: {e}"))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._answer.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._answer.status = self.parser.get_status_code()
        self._keep_alive = self.parser.should_keep_alive()
        if self._head_only:  # a HEAD answer's length is not followed by a body
            self._complete = True
        self._head.set_result(self._answer)

    def on_body(self, body: bytes) -> None:
        if self._head_only:
            return
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > HIGH_WATER and not self._paused:
            self._paused = True
            self.transport.pause_reading()
        self._wakeup()

    def on_message_complete(self) -> None:
        self._complete = True
        self._wakeup()

    def pause_writing(self) -> None:
        self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.resume_writing()
        if self._answer is None or self._complete or self._error is not None:
            return
        if self._head is not None and not self._head.done():
            self._fail(Dropped(str(exc or "closed before answering")))
        elif not self._framed():
            self._complete = True  # an answer with no length ends where the connection does
            self._wakeup()
        else:
            self._fail(BadAnswer("closed in the middle of the answer"))

    # -- helpers ------------------------------------------------------------------------------

    def _framed(self) -> bool:
        return any(k.lower() in (b"content-length", b"transfer-encoding")
                   for k, _ in self._answer.headers)

    def _time_out(self) -> None:
        self._fail(UpstreamTimeout("the route's time ran out"))

    def _fail(self, error: UpstreamError) -> None:
        if self._error is None and not self._complete:
            self._error = error
        if self._head is not None and not self._head.done():
            self._head.set_exception(error)
        self._wakeup()
        self.resume_writing()
        if not self.closed:
            self.closed = True
            self.transport.abort()

    def _wakeup(self) -> None:
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)


class Pool:
    """The keep-alive connections to one service replica, at most `size` at a time."""

    def __init__(self, base: str, size: int):
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.tls = parts.scheme == "https"
        self.prefix = parts.path.rstrip("/").encode("latin-1")
        default = 443 if self.tls else 80
        self.host_header = (self.host if self.port == default
                            else f"{self.host}:{self.port}").encode("idna")
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(size)

    async def _take(self, connect_timeout: float) -> _Connection:
        """The most recently used live idle connection, or a new one."""
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed and now - connection.idle_since < IDLE_SECONDS:
                return connection
            connection.close()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(connect_timeout):
                _, connection = await loop.create_connection(
                    _Connection, self.host, self.port, ssl=self.tls or None)
        except (OSError, TimeoutError) as e:
            raise ConnectFailed(f"{type(e).__name__}: {e}") from e
        return connection

    def _give_back(self, connection: _Connection) -> None:
        if connection.end():
            self._idle.append(connection)

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()

    @asynccontextmanager
    async def request(self, method: str, target: bytes, headers: Headers,
                      body: AsyncIterable[bytes] | None, timeout: float,
                      connect_timeout: float) -> AsyncIterator[Answer]:
        """Send one request (the body streamed as it comes) and yield the answer once its head is
        in; the body is read from the answer inside the block. `headers` never carry Host."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self._slots.locked():  # every connection busy: wait for one, within the route's time
            try:
                async with asyncio.timeout_at(deadline):
                    await self._slots.acquire()
            except TimeoutError:
                raise UpstreamTimeout("no free connection to the service in time") from None
        else:
            await self._slots.acquire()
        try:
            connection = await self._take(connect_timeout)
            connection.begin(loop, method == "HEAD", deadline)
            try:
                await _send(connection, method, self.prefix + target, self.host_header, headers,
                            body)
                yield await connection.head()
            finally:
                self._give_back(connection)
        finally:
            self._slots.release()


async def _send(connection: _Connection, method: str, target: bytes, host: bytes,
                headers: Headers, body: AsyncIterable[bytes] | None) -> None:
    lines = [method.encode("ascii"), b" ", target, b" HTTP/1.1\r\nhost: ", host, b"\r\n"]
    chunked = body is not None and not any(k.lower() == b"content-length" for k, _ in headers)
    for name, value in headers:
        lines += (name, b": ", value, b"\r\n")
    if chunked:
        lines.append(b"transfer-encoding: chunked\r\n")
    lines.append(b"\r\n")
    connection.write(b"".join(lines))
    if body is None:
        connection.request_sent = True
        return
    async for chunk in body:
        if not connection.listening:  # it answered (or went) early: the rest is not wanted
            return
        if not chunk:
            continue
        connection.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
        await connection.drain()
    if chunked:
        connection.write(b"0\r\n\r\n")
    connection.request_sent = True


class Client:
    """One pool per replica base URL; `close()` ends every idle connection."""

    def __init__(self, size: int, connect_timeout: float):
        self.size = size
        self.connect_timeout = connect_timeout
        self._pools: dict[str, Pool] = {}

    def pool(self, base: str) -> Pool:
        pool = self._pools.get(base)
        if pool is None:
            pool = self._pools[base] = Pool(base, self.size)
        return pool

    def request(self, method: str, base: str, target: bytes, headers: Headers,
                body: AsyncIterable[bytes] | None, timeout: float):
        return self.pool(base).request(method, target, headers, body, timeout,
                                       self.connect_timeout)

    async def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
