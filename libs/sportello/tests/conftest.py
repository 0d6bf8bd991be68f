"""Fixtures for the shared library's tests: a private exchange, and the messaging test service."""

from __future__ import annotations

import uuid

import pytest
from sportello.testing import run


@pytest.fixture(scope="session")
def lib_settings(settings):
    """This run's settings on an exchange of their own, so no real service sees the test events."""
    s = settings.model_copy(update={"exchange": settings.exchange + ".lib"})
    yield s


@pytest.fixture(scope="session", autouse=True)
async def _drop_lib_exchange(lib_settings):
    yield
    await run.drop_run(lib_settings)


@pytest.fixture
def service_name():
    """A fresh service (own database, own queue) per test."""
    name = f"msg{uuid.uuid4().hex[:6]}"
    run.settings_extra_services.append(name)
    return name
