"""Whole-system journeys: every process running (the `system` fixture), reached through the gateway."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

# The journeys import their helpers from journeys_kit.py beside this file.
sys.path.insert(0, str(Path(__file__).parent))


def pytest_collection_modifyitems(items):
    """The fuzzer runs last: its thousands of failed logins and odd requests must not spend the
    per-address limits the journeys rely on."""
    items.sort(key=lambda item: "fuzz" in item.nodeid)


@pytest.fixture(scope="session")
async def api(system):
    """An HTTP client of the public API: the gateway, and nothing else."""
    async with httpx.AsyncClient(base_url=system.settings.gateway_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
async def sink(system):
    from journeys_kit import Mailbox

    async with httpx.AsyncClient(base_url=system.settings.mail_sink_url, timeout=10) as client:
        yield Mailbox(client)


@pytest.fixture(scope="session")
async def staff(api, system):
    from journeys_kit import login

    tokens = await login(api, system.staff_email, system.staff_password)
    return {"Authorization": f"Bearer {tokens['access_token']}"}
