"""Fixtures of the documents tests: the service against this run's database, broker and a store
on disk, with a 1 MB file limit so that "too big" is cheap to send."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from sportello.testing import bearer, running_service
from sportello_documents.app import service
from sportello_documents.settings import documents_settings

sys.path.insert(0, str(Path(__file__).parent))

from documents_testkit import Customer  # noqa: E402


@pytest.fixture(scope="session")
def documents_settings_(settings):
    own = settings.model_copy(update={"exchange": f"{settings.exchange}.documents",
                                      "queue_prefix": f"{settings.queue_prefix}doc."})
    return documents_settings(own).model_copy(update={"documents_max_file_mb": 1,
                                                      "documents_drafts_per_owner": 5})


@pytest.fixture(scope="session")
async def client(documents_settings_):
    async with running_service(service, documents_settings_) as c:
        yield c


@pytest.fixture
def customer(documents_settings_) -> Customer:
    return Customer(documents_settings_)


@pytest.fixture
def other(documents_settings_) -> Customer:
    return Customer(documents_settings_)


@pytest.fixture
def staff(documents_settings_) -> dict[str, str]:
    return bearer(documents_settings_, uuid.uuid4(), "staff")
