"""Fixtures of the orders tests: the service running against this run's database and broker."""

from __future__ import annotations

import pytest
from sportello.testing import running_service
from sportello_orders.app import service


@pytest.fixture(scope="session")
async def client(settings):
    async with running_service(service, settings) as c:
        yield c
