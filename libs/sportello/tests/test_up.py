"""`sportello up` as a new operator runs it: the venv's own script, the venv not on PATH."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sportello.testing.processes import settings_env, with_free_ports

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


def test_up_names_the_process_that_failed_and_exits_non_zero(settings, tmp_path):
    s = with_free_ports(settings, ["mailsink"])
    procfile = tmp_path / "Procfile"
    procfile.write_text("mailsink: sportello serve mailsink\nbroken: sportello serve nosuch\n")
    done = subprocess.run([str(SCRIPT), "up"], env=_env(s, procfile), cwd=tmp_path,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 1
    assert "processi non avviati: broken" in done.stderr
    assert "mailsink" not in done.stderr.split("processi non avviati:")[1]
    assert "Sportello è in esecuzione" not in done.stdout
    assert "nessun servizio o app chiamato «nosuch»" in done.stdout + done.stderr


def test_up_starts_the_processes_through_its_own_interpreter(settings, tmp_path):
    s = with_free_ports(settings, ["mailsink"])
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
