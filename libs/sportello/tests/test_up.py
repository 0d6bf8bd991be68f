"""`sportello up` as a new operator runs it: the venv's own script, the venv not on PATH."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sportello.testing.processes import settings_env, with_free_ports
from sportello.testing.run import drop_run

SCRIPT = Path(sys.executable).parent / "sportello"
BARE_PATH = "/usr/bin:/bin"  # no venv: `sportello` alone is not found on it


def _env(settings, procfile: Path) -> dict[str, str]:
    return {**os.environ, **settings_env(settings), "PATH": BARE_PATH,
            "SPORTELLO_PROCFILE": str(procfile)}


def test_up_help_and_h_print_the_usage_and_start_nothing(settings, tmp_path):
    never = tmp_path / "Procfile"
    never.write_text("boom: touch started\n")
    for flag in ("--help", "-h"):
        done = subprocess.run([str(SCRIPT), "up", flag], env=_env(settings, never), cwd=tmp_path,
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("uso: sportello up")
        assert "--replicas" in done.stdout
        assert "in esecuzione" not in done.stdout
    assert not (tmp_path / "started").exists()


@pytest.fixture
def own_run(settings):
    """`up` migrates and loads the demo: on databases and queues of its own, not the suite's."""
    own = settings.model_copy(update={
        "db_suffix": f"{settings.db_suffix}_up", "exchange": f"{settings.exchange}.up",
        "queue_prefix": f"{settings.queue_prefix}up.", "redis_prefix": f"{settings.redis_prefix}up:"})
    yield own
    asyncio.run(drop_run(own))


def test_up_names_the_process_that_failed_and_exits_non_zero(own_run, tmp_path):
    s = with_free_ports(own_run, ["mailsink"])
    procfile = tmp_path / "Procfile"
    procfile.write_text("mailsink: sportello serve mailsink\nbroken: sportello serve nosuch\n")
    done = subprocess.run([str(SCRIPT), "up"], env=_env(s, procfile), cwd=tmp_path,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 1
    assert "processi non avviati: broken" in done.stderr
    assert "mailsink" not in done.stderr.split("processi non avviati:")[1]
    assert "Sportello è in esecuzione" not in done.stdout
    assert "nessun servizio o app chiamato «nosuch»" in done.stdout + done.stderr


def test_up_starts_the_processes_through_its_own_interpreter(own_run, tmp_path):
    s = with_free_ports(own_run, ["mailsink"])
    procfile = tmp_path / "Procfile"
    procfile.write_text("mailsink: sportello serve mailsink\n")
    up = subprocess.Popen([str(SCRIPT), "up"], env=_env(s, procfile), cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True)
    try:
        out = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and up.poll() is None:
            line = up.stdout.readline()
            out.append(line)
            if "Sportello è in esecuzione" in line:
                break
        assert "Sportello è in esecuzione" in "".join(out), "".join(out) + up.stderr.read()
        # The mail sink answers: `sportello serve` ran although `sportello` is not on PATH.
        assert httpx.get(s.mail_sink_url + "/healthz", timeout=5).status_code < 500
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGTERM)
        up.wait(30)
