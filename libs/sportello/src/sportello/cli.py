"""`sportello`: the operator's command.

  sportello up                 start the whole system locally with demo data (the README's command)
  sportello up --replicas cart=2,orders=3   …with N processes of those services (up --help)
  sportello migrate            create each service's database, run its migrations, declare queues
  sportello queues migrate     move queues declared differently (classic) to quorum, no message lost
  sportello serve NAME         run one process (a service, gateway, storefront, backoffice, mailsink...)
  sportello keys               make sure a token signing key and the sandbox's webhook secret exist
  sportello outbox list|retry SERVICE        outbox rows the relay parked (metric sportello_outbox_parked)
  sportello dead-letters list|retry SERVICE  events the consumer parked (metric sportello_dead_letters)
  sportello <command> ...      commands that services register (`staff create`, `demo-data`)

Services, apps and commands are found through entry points, so this library never imports a
service: `sportello.services` (Service objects), `sportello.apps` (ASGI app factories) and
`sportello.commands` (functions taking argv).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path
from urllib.parse import urlsplit

from sportello.scaling import APP_URL_SETTING as URL_SETTING
from sportello.settings import Settings, get_settings


def _entry_points(group: str) -> dict:
    return {ep.name: ep for ep in entry_points(group=group)}


def services() -> dict:
    """name → Service, for every installed service."""
    return {name: ep.load() for name, ep in sorted(_entry_points("sportello.services").items())}


def cmd_serve(argv: list[str]) -> int:
    import uvicorn

    if not argv:
        print("uso: sportello serve NOME [--port N]", file=sys.stderr)
        return 2
    name = argv[0]
    settings = get_settings()
    svc = _entry_points("sportello.services").get(name)
    if svc is not None:
        app = svc.load().create_app(settings)
        url = settings.service_url(name)
    elif name in _entry_points("sportello.apps"):
        app = _entry_points("sportello.apps")[name].load()()
        url = getattr(settings, URL_SETTING.get(name, f"{name}_url"))
    else:
        print(f"sportello serve: nessun servizio o app chiamato «{name}»", file=sys.stderr)
        return 2
    port = urlsplit(url).port
    if "--port" in argv:
        port = int(argv[argv.index("--port") + 1])
    # An app may tune its server (the gateway reads X-Forwarded-* itself, with its own trust list).
    options = getattr(app, "uvicorn_options", {})
    from sportello.serving import protocol

    uvicorn.run(app, host=settings.host, port=port, log_level="warning", access_log=False,
                loop="uvloop", http=protocol(settings.header_timeout_seconds),
                timeout_graceful_shutdown=5, **options)
    return 0


async def _reachable(settings: Settings) -> list[str]:
    import logging

    import aio_pika
    import asyncpg

    from sportello.db import asyncpg_dsn

    # One clear line per unreachable server: the client libraries' own tracebacks add nothing.
    logging.getLogger("aiormq").setLevel(logging.CRITICAL)
    logging.getLogger("aio_pika").setLevel(logging.CRITICAL)
    problems = []
    try:
        conn = await asyncpg.connect(asyncpg_dsn(f"{settings.postgres_url.rstrip('/')}/postgres"),
                                     timeout=5)
        await conn.close()
    except Exception as e:
        problems.append(
            f"PostgreSQL non raggiungibile ({settings.postgres_url}): {e.__class__.__name__}. "
            "Avvialo con: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        )
    try:
        conn = await asyncio.wait_for(aio_pika.connect(settings.amqp_url), 5)
        await conn.close()
    except Exception as e:
        problems.append(
            f"RabbitMQ non raggiungibile ({settings.amqp_url}): {e.__class__.__name__}. "
            "Avvialo con: rabbitmq-server -detached"
        )
    try:
        import redis.asyncio as redis

        async with redis.from_url(settings.redis_url, socket_connect_timeout=5) as client:
            await client.ping()
    except Exception as e:
        problems.append(
            f"Redis non raggiungibile ({settings.redis_url}): {e.__class__.__name__}. "
            "Avvialo con: redis-server --daemonize yes"
        )
    return problems


class QueuesDiffer(RuntimeError):
    pass


def consumers() -> dict[str, list[str]]:
    """service → event types it handles, for every consuming service."""
    return {name: list(svc.handlers) for name, svc in services().items() if svc.handlers}


async def migrate(settings: Settings, move_queues: bool = False) -> None:
    from sportello.db import ensure_database, upgrade_async
    from sportello.messaging.requeue import migrate_queues, queues_to_migrate
    from sportello.messaging.topology import declare_all

    for name, service in services().items():
        if service.migrations is not None:
            url = settings.database_url(name)
            await ensure_database(url)
            await upgrade_async(service.migrations, url)
    # A queue declared otherwise (classic, from before) would make every declaration fail.
    if differ := await queues_to_migrate(settings, consumers()):
        if not move_queues:
            raise QueuesDiffer(differ)
        await migrate_queues(settings, consumers())
    await declare_all(settings, consumers())


def cmd_queues(argv: list[str]) -> int:
    """`sportello queues migrate`: move classic queues to quorum ones, consumers stopped."""
    from sportello.messaging.requeue import ConsumersStillRunning, migrate_queues

    if argv[:1] != ["migrate"]:
        print("uso: sportello queues migrate   (con i consumatori fermi; i produttori possono "
              "continuare)", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(migrate_queues(get_settings(), consumers()))
    except ConsumersStillRunning as e:
        print(f"sportello queues migrate: {e}", file=sys.stderr)
        return 1
    for service, moved in report.items():
        print(f"{service}: code quorum, {moved} messaggi spostati")
    print("Code già quorum." if not report else "Fatto.")
    return 0


def _settings_if_reachable() -> Settings | None:
    """The settings, once PostgreSQL and RabbitMQ answer; None (and why, on stderr) if not."""
    settings = get_settings()
    problems = asyncio.run(_reachable(settings))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return None
    return settings


def cmd_migrate(argv: list[str]) -> int:
    if (settings := _settings_if_reachable()) is None:
        return 1
    try:
        asyncio.run(migrate(settings))
    except QueuesDiffer as e:
        print(f"Code dichiarate in altro modo (classiche?): {', '.join(e.args[0])}. Ferma i "
              "consumatori ed esegui: sportello queues migrate", file=sys.stderr)
        return 1
    print("Database e code pronti:", ", ".join(services()))
    return 0


def cmd_keys(argv: list[str]) -> int:
    from sportello.keys import (
        DOCUMENTS_SECRET_FILE,
        SDI_SANDBOX_SECRET_FILE,
        ensure_key,
        ensure_sandbox_secret,
        generate_key,
    )

    settings = get_settings()
    kid = generate_key(settings.jwt_keys_dir) if "--rotate" in argv else ensure_key(settings.jwt_keys_dir)
    print(f"chiave di firma {kid} in {settings.jwt_keys_dir}")
    print(f"segreto dei webhook del sandbox in {ensure_sandbox_secret(settings.jwt_keys_dir)}")
    print(f"segreto delle ricevute del sandbox SDI in "
          f"{ensure_sandbox_secret(settings.jwt_keys_dir, SDI_SANDBOX_SECRET_FILE)}")
    print(f"segreto delle ricevute dei documenti in "
          f"{ensure_sandbox_secret(settings.jwt_keys_dir, DOCUMENTS_SECRET_FILE)}")
    return 0


def cmd_up(argv: list[str]) -> int:
    """Everything a new machine needs to show the shop: databases, keys, demo data, processes."""
    from sportello.scaling import UP_HELP

    if "-h" in argv or "--help" in argv:  # before the settings: help needs no configuration
        print(UP_HELP)
        return 0
    procfile = Path(os.environ.get("SPORTELLO_PROCFILE", Path.cwd() / "Procfile"))
    try:
        procfile, root = _up_procfile(argv, get_settings(), procfile)
    except ValueError as e:
        print(f"sportello up: {e}", file=sys.stderr)
        return 2
    if procfile is None:
        return 0
    if (settings := _settings_if_reachable()) is None:
        return 1
    from sportello.keys import (
        DOCUMENTS_SECRET_FILE,
        SDI_SANDBOX_SECRET_FILE,
        ensure_key,
        ensure_sandbox_secret,
    )

    ensure_key(settings.jwt_keys_dir)
    if None in (settings.payment_sandbox_secret, settings.sdi_sandbox_secret,
                settings.documents_secret):
        ensure_sandbox_secret(settings.jwt_keys_dir)
        ensure_sandbox_secret(settings.jwt_keys_dir, SDI_SANDBOX_SECRET_FILE)
        ensure_sandbox_secret(settings.jwt_keys_dir, DOCUMENTS_SECRET_FILE)
        get_settings.cache_clear()
        settings = get_settings()
    from sportello.messaging.requeue import ConsumersStillRunning

    try:
        asyncio.run(migrate(settings, move_queues=True))  # nothing of ours consumes yet
    except ConsumersStillRunning as e:
        print(f"sportello up: {e} (un altro «sportello up» è in esecuzione?)", file=sys.stderr)
        return 1
    commands = _entry_points("sportello.commands")
    if "demo-data" in commands:
        commands["demo-data"].load()([])
    from sportello.scaling import process_urls, with_interpreter

    text = procfile.read_text()
    procfile = _generated_procfile(with_interpreter(text, sys.executable))
    honcho = subprocess.Popen([sys.executable, "-m", "honcho", "--no-colour", "-f", str(procfile),
                               "-d", root, "start"], start_new_session=True,
                              stdout=subprocess.PIPE, text=True, bufsize=1)
    stopped = _follow_honcho(honcho)

    def stop(*_):
        os.killpg(honcho.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    failed = _wait_processes(process_urls(text, settings), stopped, honcho, timeout=90)
    if failed:
        print("\n  Sportello non è partito: processi non avviati: " + ", ".join(failed)
              + " (il loro errore è nelle righe qui sopra)\n", file=sys.stderr, flush=True)
        if honcho.poll() is None:
            stop()
        honcho.wait()
        return 1
    banner = [
        "",
        "  Sportello è in esecuzione",
        f"  Negozio:        {settings.storefront_url}",
        f"  Back office:    {settings.backoffice_url}",
        f"  API:            {settings.gateway_url}/api  (documentazione: {settings.gateway_url}/api/docs)",
        f"  Email ricevute: {settings.mail_sink_url}",
        f"  Pagamenti test: {settings.payment_sandbox_url}",
        f"  SDI di prova:   {settings.sdi_sandbox_url}",
        "  Ctrl-C per fermare tutto.",
        "",
    ]
    print("\n".join(banner), flush=True)
    return honcho.wait()


def _generated_procfile(text: str) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="sportello-up-")) / "Procfile"
    path.write_text(text)
    return path


# honcho's line when a process ends: "HH:MM:SS system | cart.1 stopped (rc=1)".
_STOPPED = re.compile(r"\|\s+(\S+?)(?:\.\d+)?\s+stopped \(rc=(-?\d+)\)")


def _follow_honcho(honcho: subprocess.Popen) -> list[str]:
    """Echo honcho's output; the list it returns fills with the processes that ended before
    honcho began stopping the others (those are the ones that failed)."""
    import threading

    stopped: list[str] = []

    def follow():
        terminating = False
        for line in honcho.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if "sending SIG" in line:
                terminating = True
            elif (m := _STOPPED.search(line)) and not terminating:
                stopped.append(m[1])

    threading.Thread(target=follow, daemon=True).start()
    return stopped


def _wait_processes(urls: dict[str, str], stopped: list[str], honcho: subprocess.Popen,
                    timeout: float) -> list[str]:
    """The processes that failed: those that ended, and those still silent at the deadline."""
    import httpx

    waiting = dict(urls)
    deadline = time.monotonic() + timeout
    while waiting and time.monotonic() < deadline and honcho.poll() is None and not stopped:
        for name, url in list(waiting.items()):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code < 500:
                    del waiting[name]
            except httpx.HTTPError:
                pass
        time.sleep(0.3)
    if honcho.poll() is not None or stopped:
        time.sleep(1)  # let the follower read honcho's last lines
        return sorted(set(stopped)) or sorted(waiting) or ["honcho"]
    return sorted(waiting)


def cmd_outbox(argv: list[str]) -> int:
    from sportello.operator import outbox_command

    return outbox_command(argv)


def cmd_dead_letters(argv: list[str]) -> int:
    from sportello.operator import dead_letters_command

    return dead_letters_command(argv)


def _up_procfile(argv: list[str], settings: Settings, procfile: Path) -> tuple[Path | None, str]:
    """The Procfile `up` runs (with --replicas, a generated one) and its app root; (None, …)
    after --help. ValueError for arguments that make no sense."""
    import tempfile

    from sportello.scaling import UP_HELP, parse_replicas, procfile_with_replicas

    if "-h" in argv or "--help" in argv:
        print(UP_HELP)
        return None, ""
    root = str(procfile.resolve().parent)
    if not argv:
        return procfile, root
    if argv[0] == "--replicas" and len(argv) == 2:
        spec = argv[1]
    elif argv[0].startswith("--replicas=") and len(argv) == 1:
        spec = argv[0].removeprefix("--replicas=")
    else:
        raise ValueError(f"argomenti non riconosciuti: {' '.join(argv)} (sportello up --help)")
    text = procfile_with_replicas(procfile.read_text(), settings, parse_replicas(spec))
    generated = Path(tempfile.mkdtemp(prefix="sportello-up-")) / "Procfile"
    generated.write_text(text)
    return generated, root


BUILTIN = {"up": cmd_up, "migrate": cmd_migrate, "serve": cmd_serve, "keys": cmd_keys,
           "outbox": cmd_outbox, "dead-letters": cmd_dead_letters, "queues": cmd_queues}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    commands = _entry_points("sportello.commands")
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        print("comandi dei servizi:", ", ".join(sorted(commands)) or "nessuno")
        return 0
    name, rest = argv[0], argv[1:]
    if name in BUILTIN:
        return BUILTIN[name](rest)
    if name in commands:
        return int(commands[name].load()(rest) or 0)
    print(f"sportello: comando sconosciuto «{name}» (sportello --help)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
