"""Logs, request/correlation ids, metrics and health: the same in every process."""

from __future__ import annotations

import logging
import random
import re
import sys
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Protocol

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

HTTP_REQUESTS = Histogram(
    "sportello_http_request_seconds", "HTTP request duration", ["service", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_PUBLISHED = Counter("sportello_events_published_total", "Events published", ["service", "type"])
EVENTS_HANDLED = Counter("sportello_events_handled_total", "Events handled", ["service", "type", "outcome"])


# A request id travels into events as the AMQP correlation_id (at most 255 bytes) and into
# logs and headers: only a short ASCII token is kept, anything else is replaced by a new id.
REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")


def request_id(raw: bytes | None) -> str:
    """The client's X-Request-ID if it is a short ASCII token, else a fresh one."""
    if raw is not None and REQUEST_ID.fullmatch(raw):
        return raw.decode("ascii")
    return new_request_id()


def new_request_id() -> str:
    """A random version-4 UUID as text (clients have always seen that shape)."""
    # An id only correlates (a client may send any id it likes): the process's seeded generator
    # is enough, and spares uuid4's object and its getrandom syscall per request.
    h = f"{random.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


class RequestTimings:
    """One service's HTTP_REQUESTS children, looked up once per (method, status)."""

    def __init__(self, service: str):
        self.service = service
        self.children: dict[tuple[str, int], object] = {}

    def observe(self, method: str, status: int, seconds: float) -> None:
        key = (method, status)
        child = self.children.get(key)
        if child is None:
            child = HTTP_REQUESTS.labels(self.service, method, str(status))
            if len(self.children) < 256:  # a client inventing methods cannot grow the cache
                self.children[key] = child
        child.observe(seconds)


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level.upper(), force=True)
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _add_correlation_id,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)


def _add_correlation_id(logger, method, event_dict):
    cid = correlation_id.get()
    if cid and "correlation_id" not in event_dict:
        event_dict["correlation_id"] = cid
    return event_dict


class RequestContextMiddleware:
    """Keeps or creates X-Request-ID, makes it the correlation id, times the request.

    Pure ASGI (no BaseHTTPMiddleware) so the hot read paths pay almost nothing for it. An `edge`
    (the gateway's security headers and CORS) adds its headers in the same send wrapper, so a
    response's header list is copied once however many concerns touch it.
    """

    def __init__(self, app, service: str, edge: Edge | None = None):
        self.app = app
        self.service = service
        self.timings = RequestTimings(service)
        self.edge = edge

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        raw = None
        for k, v in scope["headers"]:
            if k == b"x-request-id":
                raw = v
                break
        rid = request_id(raw)
        rid_header = (b"x-request-id", rid.encode("ascii"))
        app, complete = self.app, None
        if self.edge is not None:
            answer, complete = self.edge.begin(scope)
            if answer is not None:
                app = answer
        token = correlation_id.set(rid)
        start = time.perf_counter()
        status = 500

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), rid_header]
                if complete is not None:
                    complete(headers)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            correlation_id.reset(token)
            self.timings.observe(scope["method"], status, time.perf_counter() - start)


class Edge(Protocol):
    """What a process's edge adds to RequestContextMiddleware (the gateway's headers and CORS)."""

    def begin(self, scope) -> tuple[Callable | None, Callable[[list], None] | None]:
        """(an ASGI app answering instead of the app, or None; a function given the response's
        header list, to extend in place, or None)."""


def metrics_response():
    from starlette.responses import Response

    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
