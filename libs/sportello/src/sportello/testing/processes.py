"""Real processes for tests: `sportello serve NAME` subprocesses on free ports, this run's settings.

    async with serve_processes(settings, ["mailsink", "notifications"]) as s:
        s.mail_sink_url, s.notifications_url   # where they listen now

Services among the names get their database created and migrated first. Each process is waited
for on `/healthz` and stopped (SIGTERM, then SIGKILL) at the end; its output is kept in a log
file whose tail is shown if it fails to start.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path

import httpx

from sportello.settings import SERVICES, Settings

URL_FIELDS = {
    "gateway": "gateway_url",
    "storefront": "storefront_url",
    "backoffice": "backoffice_url",
    "mailsink": "mail_sink_url",
    "payments-sandbox": "payment_sandbox_url",
    "sdi-sandbox": "sdi_sandbox_url",
    **{s: f"{s}_url" for s in SERVICES},
}


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports: each socket stays bound until all are chosen, since the
    kernel may hand a port it has just had back to the next bind."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def wait_http(url: str, timeout: float = 30) -> None:
    """Block until `url` answers 200 (a process started outside serve_processes, e.g. a bench's)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200 within {timeout}s")


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as the SPORTELLO_* environment a child process reads them from."""
    env = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        env[f"SPORTELLO_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def with_free_ports(settings: Settings, names: list[str]) -> Settings:
    ports = free_ports(len(names) + 1)
    update = {URL_FIELDS[n]: f"http://127.0.0.1:{port}" for n, port in zip(names, ports[:-1], strict=True)}
    if "mailsink" in names:
        update["smtp_port"] = ports[-1]
    return settings.model_copy(update=update)


class Process:
    def __init__(self, name: str, settings: Settings, log_dir: Path, extra_env: dict[str, str]):
        self.name = name
        self.url = getattr(settings, URL_FIELDS[name])
        self.log_path = log_dir / f"{name}.log"
        env = {**os.environ, **settings_env(settings), **extra_env}
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "sportello.cli", "serve", name],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        STARTED.append(self)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # Generous: a whole system of processes starting at once on a shared two-core machine.
    async def wait_healthy(self, timeout: float = 150) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=1) as client:
            while time.monotonic() < deadline:
                if self.popen.poll() is not None:
                    raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.log_tail()}")
                try:
                    if (await client.get(self.url + "/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} not healthy after {timeout}s:\n{self.log_tail()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)

    def stop(self) -> None:
        if self._log.closed:
            return
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
                self.popen.wait(5)
        self._log.close()


@asynccontextmanager
async def serve_processes(
    settings: Settings, names: list[str], extra_env: dict[str, str] | None = None,
    log_dir: Path | None = None,
) -> AsyncIterator[Settings]:
    """Start `names` as real processes on free ports; yield the settings that point at them.

    While they run, `RUNNING[name]` is each Process (to kill or restart one in a fault test).
    """
    from sportello.cli import services
    from sportello.db import ensure_database, upgrade_async

    settings = with_free_ports(settings, names)
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="sportello-procs-"))
    known = services()
    for name in names:
        if name in known and known[name].migrations is not None:
            url = settings.database_url(name)
            await ensure_database(url)
            await upgrade_async(known[name].migrations, url)
    procs: dict[str, Process] = {}
    try:
        for name in names:
            procs[name] = Process(name, settings, log_dir, extra_env or {})
        await asyncio.gather(*(p.wait_healthy() for p in procs.values()))
        RUNNING.update(procs)
        yield settings
    finally:
        for name, p in procs.items():
            p.stop()
            RUNNING.pop(name, None)


# name → Process of what serve_processes started (to kill or restart one in a fault test).
RUNNING: dict[str, Process] = {}
# Every process a test started, restarted ones included: none may outlive the run.
STARTED: list[Process] = []


def stop_all() -> None:
    while STARTED:
        STARTED.pop().stop()
