"""Every Sportello process started from the built image with podman, then the compose stack, each
checked the way an operator would: every `/readyz` ready and one customer's purchase through the
gateway (a checkout that becomes a paid order and a confirmation email in the sink).

    uv run python deploy/podman_check.py --image localhost/sportello:check

Run by `deploy/podman-check.sh` after it has built the image. Everything it starts (containers,
databases, queues, the exchange) carries a run id and is removed at the end, pass or fail.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import yaml
from sportello.settings import Settings
from sportello.testing import wait_for
from sportello.testing.plugin import drop_run
from sportello.testing.processes import URL_FIELDS, settings_env, with_free_ports

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from journeys_kit import (  # noqa: E402 - the whole-system tests' own client steps
    DICHIARAZIONE,
    Mailbox,
    add_line,
    checkout,
    pay_by_card,
    register,
    wait_status,
)

# The image's unprivileged user (deploy/Dockerfile).
IMAGE_UID = 10001
# Servers the compose override takes from the host instead of running them.
HOST_PROVIDED = {"postgres", "rabbitmq", "redis", "mailpit"}
PODMAN_COMPOSE = ["podman-compose"]


def say(message: str) -> None:
    print(f"[podman-check] {message}", flush=True)


def run(argv: list[str], env: dict[str, str] | None = None, check: bool = True) -> str:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} failed ({result.returncode}):\n"
                           f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def procfile_processes() -> list[str]:
    """What `sportello up` runs: every `sportello serve NAME` of the Procfile."""
    names = []
    for line in (ROOT / "Procfile").read_text().splitlines():
        words = line.partition(":")[2].split()
        if words[:2] == ["sportello", "serve"]:
            names.append(words[2])
    return names


def run_settings(kind: str, keys_dir: Path) -> Settings:
    """Settings of one check: its own databases, queues, exchange and ports on the host."""
    run_id = uuid.uuid4().hex[:6]
    settings = Settings(
        host="127.0.0.1",
        db_suffix=f"_{kind}{run_id}",
        exchange=f"sportello.{kind}.{run_id}",
        queue_prefix=f"{kind}{run_id}.",
        redis_prefix=f"{kind}{run_id}:",
        jwt_keys_dir=keys_dir,
        payment_sandbox_secret=secrets.token_urlsafe(32),
        sdi_sandbox_secret=secrets.token_urlsafe(32),
        documents_secret=secrets.token_urlsafe(32),
        # Inside the image: the directory its user owns (documents' blobs when no store is named).
        data_dir=Path("/var/lib/sportello"),
        log_json=False,
        # The journey is one client on 127.0.0.1; nothing here tests the limits.
    )
    return with_free_ports(settings, procfile_processes())


async def wait_ready(name: str, url: str, exited, timeout: float = 90) -> None:
    """`/readyz` where the process has one (services, gateway), `/healthz` otherwise."""
    async with httpx.AsyncClient(timeout=2) as client:
        async def ready():
            if (why := exited()) is not None:
                raise RuntimeError(f"{name} stopped:\n{why}")
            try:
                r = await client.get(url + "/readyz")
                if r.status_code == 404:
                    r = await client.get(url + "/healthz")
                return r.status_code == 200
            except httpx.HTTPError:
                return False

        await wait_for(ready, timeout=timeout, interval=0.5, message=f"{name} ready at {url}")


async def file_round_trip(api: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """A file above the 1 MB spool size through the gateway into documents' store and back: the
    image's user writes the store (compose: its named volume) and the upload limit lets it by."""
    body = b"%PDF-1.7\n" + os.urandom(3 * 1_048_576)
    r = await api.post("/api/documents", headers=headers,
                       files={"file": ("atto.pdf", body, "application/pdf")})
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == hashlib.sha256(body).hexdigest()
    back = await api.get(f"/api/documents/{r.json()['id']}", headers=headers)
    assert back.status_code == 200 and back.content == body, back.status_code


async def journey(settings: Settings) -> str:
    """A customer uploads a file and buys by card through the gateway; the confirmation email
    reaches the sink."""
    async with (httpx.AsyncClient(base_url=settings.gateway_url, timeout=15) as api,
                httpx.AsyncClient(base_url=settings.mail_sink_url, timeout=5) as sink):
        customer = await register(api)
        await file_round_trip(api, customer.headers)
        await add_line(api, customer.headers, DICHIARAZIONE, {"modello": "730", "immobili": 1})
        order_id = await checkout(api, customer, "card")
        order = await wait_status(api, f"/api/orders/{order_id}", customer.headers,
                                  "awaiting_payment", timeout=30)
        paid = await pay_by_card(api, customer, order_id)
        assert paid.status_code < 400, paid.text
        await wait_status(api, f"/api/orders/{order_id}", customer.headers, "paid", timeout=30)
        await Mailbox(sink).wait(customer.email, f"Conferma d'ordine {order['number']}", timeout=30)
        return order["number"]


def podman_logs(container: str) -> str:
    out = subprocess.run(["podman", "logs", "--tail", "30", container], capture_output=True,
                         text=True)
    return out.stdout + out.stderr


def container_exited(container: str):
    def exited() -> str | None:
        state = run(["podman", "inspect", "--format", "{{.State.Status}}", container], check=False)
        return podman_logs(container) if state.strip() in ("exited", "stopped", "") else None
    return exited


async def check_image(image: str, work: Path) -> None:
    """Each process of the Procfile as its own container of the image, on the host's network."""
    keys = work / "image-keys"
    keys.mkdir()
    settings = run_settings("img", keys)
    env_file = work / "image.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in settings_env(settings).items()))
    label = f"sportello-check={settings.queue_prefix.rstrip('.')}"
    base = ["podman", "run", "--network", "host", "--env-file", str(env_file), "--label", label]
    try:
        started = time.monotonic()
        run([*base, "--rm", "--user", "0", "-v", f"{keys}:{keys}", image, "sportello", "keys"])
        for path in [keys, *keys.iterdir()]:
            os.chown(path, IMAGE_UID, IMAGE_UID)
        for command in (["sportello", "migrate"], ["sportello", "demo-data"]):
            run([*base, "--rm", "-v", f"{keys}:{keys}:ro", image, *command])
        names = procfile_processes()
        for name in names:
            run([*base, "-d", "--name", f"{label.split('=')[1]}-{name}", "-v", f"{keys}:{keys}:ro",
                 image, "sportello", "serve", name])
        await asyncio.gather(*(
            wait_ready(name, getattr(settings, URL_FIELDS[name]),
                       container_exited(f"{label.split('=')[1]}-{name}"))
            for name in names))
        say(f"image: {len(names)} processes ready in {time.monotonic() - started:.0f}s "
            f"({', '.join(names)})")
        number = await journey(settings)
        say(f"image: a 3 MB file stored and read back, order {number} paid, confirmation email "
            "in the sink")
        # Quotes and invoices print PDFs: the image must hold what WeasyPrint loads.
        run([*base, "--rm", image, "python", "-c",
             "from weasyprint import HTML; assert HTML(string='<p>Sportello</p>').write_pdf()"])
        say("image: WeasyPrint prints a PDF")
    finally:
        ids = run(["podman", "ps", "-aq", "--filter", f"label={label}"], check=False).split()
        if ids:
            run(["podman", "rm", "-f", "-t", "5", *ids], check=False)
        await drop_run(settings)


def compose_services() -> list[str]:
    """The compose file's services, less the servers the host provides, plus the host's sink."""
    names = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return [n for n in names if n not in HOST_PROVIDED] + ["mailsink"]


async def check_compose(image: str, work: Path) -> None:
    """docker-compose.yml with deploy/compose.host.yml, through podman-compose, on the host."""
    settings = run_settings("cmp", work / "unused-keys")
    project = f"sportello-check-{settings.queue_prefix.rstrip('.')}"
    env = {**os.environ, **settings_env(settings), "SPORTELLO_IMAGE": image,
           "SPORTELLO_PAYMENTS_SANDBOX_SECRET": settings.payment_sandbox_secret,
           "SPORTELLO_SDI_SANDBOX_SECRET": settings.sdi_sandbox_secret,
           "SPORTELLO_DOCUMENTS_SECRET": settings.documents_secret}
    compose = [*PODMAN_COMPOSE, "-p", project, "-f", str(ROOT / "docker-compose.yml"),
               "-f", str(ROOT / "deploy/compose.host.yml")]
    try:
        started = time.monotonic()
        # Podman runs no healthchecks without systemd, so depends_on orders nothing: the one-off
        # set-up runs to its end first, then every process, each polled on /readyz.
        run([*compose, "up", "-d", "--no-deps", "--no-build", "setup"], env=env)
        code = run(["podman", "wait", f"{project}_setup_1"], check=False).strip()
        if code != "0":
            raise RuntimeError(f"compose setup exited {code}:\n{podman_logs(f'{project}_setup_1')}")
        services = [n for n in compose_services() if n != "setup"]
        run([*compose, "up", "-d", "--no-deps", "--no-build", *services], env=env)
        by_service = {"payments": "payments-sandbox", "sdi": "sdi-sandbox"}
        await asyncio.gather(*(
            wait_ready(name, getattr(settings, URL_FIELDS[by_service.get(name, name)]),
                       container_exited(f"{project}_{name}_1"))
            for name in services))
        say(f"compose: {len(services)} services ready in {time.monotonic() - started:.0f}s")
        number = await journey(settings)
        say(f"compose: a 3 MB file stored and read back, order {number} paid, confirmation "
            "email in the sink")
    finally:
        run([*compose, "down", "-v", "-t", "5"], env=env, check=False)
        await drop_run(settings)


async def main() -> int:
    global PODMAN_COMPOSE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True)
    parser.add_argument("--podman-compose", default="podman-compose",
                        help="the podman-compose command (words separated by spaces)")
    parser.add_argument("--skip-compose", action="store_true")
    args = parser.parse_args()
    PODMAN_COMPOSE = args.podman_compose.split()
    with tempfile.TemporaryDirectory(prefix="sportello-podman-") as work:
        os.chmod(work, 0o755)  # the image's user reads the keys below it
        await check_image(args.image, Path(work))
        if not args.skip_compose:
            await check_compose(args.image, Path(work))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
