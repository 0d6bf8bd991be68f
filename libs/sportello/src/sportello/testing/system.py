"""The whole system as real processes, for whole-system and browser tests.

Every service, the gateway, the storefront, the back office, the SMTP sink and the sandbox
payment provider run as `sportello serve NAME` subprocesses on free ports against this run's
databases and exchange; the demo catalog is loaded and a staff user created, as an operator would.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sportello.settings import SERVICES, Settings
from sportello.testing.processes import serve_processes, settings_env
from sportello.testing.run import drop_run

PROCESSES = [*SERVICES, "mailsink", "payments-sandbox", "sdi-sandbox", "gateway", "storefront",
             "backoffice"]
STAFF_EMAIL = "staff@sportello.test"
STAFF_PASSWORD = "staff-password-for-tests-1"
GENEROUS_LIMITS = {
    "SPORTELLO_RATE_LOGIN_PER_MINUTE": "600",
    "SPORTELLO_RATE_REGISTER_PER_MINUTE": "600",
    "SPORTELLO_RATE_PASSWORD_RESET_PER_MINUTE": "600",
    "SPORTELLO_RATE_CHECKOUT_PER_MINUTE": "1200",
    "SPORTELLO_RATE_REAUTH_PER_MINUTE": "600",
    "SPORTELLO_RATE_CART_SESSION_PER_MINUTE": "1200",
}


@dataclass
class System:
    settings: Settings
    staff_email: str = STAFF_EMAIL
    staff_password: str = STAFF_PASSWORD

    @property
    def api(self) -> str:
        return self.settings.gateway_url + "/api"


def run_command(settings: Settings, *argv: str, stdin: str | None = None) -> str:
    """Run an operator command (`sportello demo-data`, ...) against the run's settings."""
    result = subprocess.run(
        [sys.executable, "-m", "sportello.cli", *argv],
        env={**os.environ, **settings_env(settings)}, input=stdin, capture_output=True, text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"sportello {' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@asynccontextmanager
async def start_system(settings: Settings, extra_env: dict[str, str] | None = None) -> AsyncIterator[System]:
    # Jobs run in the whole system as in production. The system gets databases, queues and an
    # exchange of its own: the services' own tests of the same run keep their in-process apps
    # running, and a consumer of theirs on the system's queue would take half its events.
    settings = settings.model_copy(update={
        "jobs_enabled": True,
        "db_suffix": f"_sys{settings.db_suffix}",
        "queue_prefix": f"{settings.queue_prefix}sys.",
        "exchange": f"{settings.exchange}.sys",
    })
    # Every test client is 127.0.0.1: the gateway's per-address limits are raised so that
    # journeys and browser tests (many sign-ups and checkouts from one address) are not throttled.
    # The limits themselves are tested in gateway/tests.
    env = {**GENEROUS_LIMITS, **(extra_env or {})}
    try:
        async with serve_processes(settings, PROCESSES, env) as running:
            await asyncio.to_thread(run_command, running, "demo-data")
            await asyncio.to_thread(run_command, running, "staff", "create", "--email",
                                    STAFF_EMAIL, stdin=STAFF_PASSWORD + "\n")
            yield System(settings=running)
    finally:
        await drop_run(settings)
