"""Nothing a client can send produces a 5xx: schemathesis fuzzes every documented operation.

It reads the gateway's merged OpenAPI document and sends schema-based and boundary cases
(coverage phase) and random ones (fuzzing phase) through the gateway to the real services, as a
customer and as staff; its `not_a_server_error` check fails the run on any 5xx answer. The
seed of a failing run is printed, to replay it with `schemathesis run ... --seed N`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from journeys_kit import login, register

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
# Routes that would end the fuzzing customer's own session (delete the account, change its
# password, log it out) are left out: everything else is fair game.
CUSTOMER_EXCLUDE = r"/api/accounts/me$|/api/accounts/me/password$|/api/accounts/logout$|/api/staff/"


def fuzz(gateway_url: str, token: str, *selection: str) -> subprocess.CompletedProcess:
    # One worker: with two threads, CPython 3.11's AST construction (hypothesis builds code at
    # run time) now and then trips its shared recursion counter, "AST constructor recursion depth
    # mismatch" (cpython gh-106905): a crash of the tool, not an answer of ours.
    return subprocess.run(
        [SCHEMATHESIS, "run", f"{gateway_url}/api/openapi.json", "--url", gateway_url,
         "--checks", "not_a_server_error", "--phases", "coverage,fuzzing", "--max-examples", "10",
         "--workers", "1", "-H", f"Authorization: Bearer {token}", *selection],
        capture_output=True, text=True, timeout=600,
    )


async def test_no_request_gets_a_server_error_as_customer_or_staff(api, system):
    customer = await register(api)
    staff = await login(api, system.staff_email, system.staff_password)
    token = customer.headers["Authorization"].removeprefix("Bearer ")
    runs = {
        "customer": (token, "--exclude-path-regex", CUSTOMER_EXCLUDE),
        "staff": (staff["access_token"], "--include-path-regex", "/api/staff/"),
    }
    for who, (bearer, *selection) in runs.items():
        result = await asyncio.to_thread(fuzz, system.settings.gateway_url, bearer, *selection)
        summary = result.stdout[-3000:]
        assert result.returncode == 0, f"as {who}: a request got a server error\n{summary}"
        assert " passed" in summary and "generated" in summary, summary
