"""Fixtures of the accounts tests: the service running against this run's database and broker."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sportello.testing import running_service
from sportello_accounts.app import service
from sportello_accounts.settings import AccountsSettings

# The tests import their helpers from accounts_testkit.py beside this file.
sys.path.insert(0, str(Path(__file__).parent))

# Cheap argon2 so the suite is fast (the parameters are what production raises); small limits
# so the rate-limit tests need only a few requests.
TEST_OVERRIDES = dict(
    argon2_time_cost=1, argon2_memory_cost=1024, argon2_parallelism=1,
    login_failures_per_email_and_address=3, login_failures_per_address=5,
    login_failures_per_email=6, resets_per_email_and_address=2, resets_per_address=4,
    reset_emails_per_email=3, reauth_failures_per_account=3,
)


@pytest.fixture(scope="session")
def accounts_settings(settings) -> AccountsSettings:
    return AccountsSettings(**{**settings.model_dump(), **TEST_OVERRIDES})


@pytest.fixture(scope="session")
async def client(accounts_settings):
    async with running_service(service, accounts_settings) as c:
        yield c


