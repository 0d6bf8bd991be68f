"""Fixtures of the notifications tests: the SMTP sink as a real process, the service in-process
against this run's database and broker, and small readers of what a person would observe."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import httpx
import pytest
from sportello.settings import Settings
from sportello.testing import bearer, running_service, wait_for
from sportello.testing.processes import RUNNING, serve_processes
from sportello_notifications.app import service

# The tests import their sample events from notifications_samples.py beside this file.
sys.path.insert(0, str(Path(__file__).parent))

# Short back-off for tests: 6 attempts over ~15 s, long enough to restart the sink in between.
TEST_RETRY_DELAYS = "[0.5, 1, 2, 4, 8]"


@pytest.fixture(scope="session")
async def sink(settings):
    """The sink process; yields the run's settings pointing at its SMTP and HTTP ports."""
    async with serve_processes(settings, ["mailsink"]) as running:
        yield running
        restarted = RUNNING.get("mailsink")  # a fault test may have replaced the process
        if restarted is not None:
            restarted.stop()


@pytest.fixture(scope="session")
async def client(sink):
    old = os.environ.get("SPORTELLO_NOTIFICATIONS_RETRY_DELAYS")
    os.environ["SPORTELLO_NOTIFICATIONS_RETRY_DELAYS"] = TEST_RETRY_DELAYS
    try:
        async with running_service(service, sink) as c:
            yield c
    finally:
        if old is None:
            os.environ.pop("SPORTELLO_NOTIFICATIONS_RETRY_DELAYS", None)
        else:
            os.environ["SPORTELLO_NOTIFICATIONS_RETRY_DELAYS"] = old


class Mailbox:
    """The sink's JSON inbox, as a test reads it."""

    def __init__(self, settings: Settings):
        self.settings = settings

    async def messages(self, to: str) -> list[dict]:
        async with httpx.AsyncClient(base_url=self.settings.mail_sink_url, timeout=5) as c:
            r = await c.get("/api/messages", params={"to": to})
            r.raise_for_status()
            return r.json()["items"]

    async def wait_for(self, to: str, count: int = 1, timeout: float = 10) -> list[dict]:
        async def enough():
            found = await self.messages(to)
            return found if len(found) >= count else None

        return await wait_for(enough, timeout, message=f"{count} email(s) to {to}")


class StaffView:
    """GET /api/staff/notifications as staff."""

    def __init__(self, client: httpx.AsyncClient, settings: Settings):
        self.client = client
        self.headers = bearer(settings, role="staff")

    async def list(self, **params) -> list[dict]:
        r = await self.client.get("/api/staff/notifications", params={"limit": 100, **params},
                                  headers=self.headers)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    async def wait_for(self, predicate, timeout: float = 10, **params) -> list[dict]:
        async def matching():
            rows = [n for n in await self.list(**params) if predicate(n)]
            return rows or None

        return await wait_for(matching, timeout, message=f"notifications {params}")

    async def wait_all_sent(self, event_id, count: int, timeout: float = 10) -> list[dict]:
        """The `count` emails of one event, once every one of them is sent."""
        async def all_sent():
            rows = await self.list(event_id=str(event_id))
            return rows if len(rows) == count and all(r["status"] == "sent" for r in rows) else None

        return await wait_for(all_sent, timeout, message=f"{count} sent for event {event_id}")

    async def handled(self, event_type: str, outcome: str) -> float:
        """How many events of a type the consumer handled (or dropped as duplicates): /metrics."""
        text = (await self.client.get("/metrics")).text
        pattern = (r'sportello_events_handled_total\{[^}]*outcome="' + outcome
                   + r'"[^}]*service="notifications"[^}]*type="' + re.escape(event_type)
                   + r'"[^}]*\} ([0-9.e+]+)')
        match = re.search(pattern, text)
        return float(match.group(1)) if match else 0.0


@pytest.fixture
def mailbox(sink) -> Mailbox:
    return Mailbox(sink)


@pytest.fixture
def staff(client, sink) -> StaffView:
    return StaffView(client, sink)
