"""`sportello up --replicas cart=2,orders=3`: several processes of a service on one machine.

The replicas of a service listen on consecutive ports of a block of their own (8200 + 10 × the
service's place in SERVICES: cart → 8220, 8221, …), since the services' own ports are
consecutive already (8101–8107); the gateway, the only caller of a service's URL, is given
them all as `SPORTELLO_<SERVICE>_URLS`. Everything else a replica runs (relay, consumer, jobs,
numbering) is replica-safe already (deploy/README.md, "How each part scales").
"""

from __future__ import annotations

import json
import re
import shlex
from urllib.parse import urlsplit

from sportello.settings import SERVICES, Settings

REPLICA_PORTS_FROM = 8200
MAX_REPLICAS = 10  # one block of ten ports per service

UP_HELP = """uso: sportello up [--replicas SERVIZIO=N[,SERVIZIO=N…]]

Avvia tutto il sistema in locale con i dati di prova (database, chiavi, code, processi).

  --replicas cart=2,orders=3   N processi del servizio, su porte consecutive dal blocco
                               8200 + 10 × posizione (cart: 8220, 8221…; orders: 8240…);
                               il gateway li riceve tutti (SPORTELLO_<SERVIZIO>_URLS) e
                               distribuisce le richieste a turno. Servizi: {services}.
""".format(services=", ".join(SERVICES))


def parse_replicas(text: str) -> dict[str, int]:
    """"cart=2,orders=3" → {"cart": 2, "orders": 3}; ValueError with the reason otherwise."""
    replicas: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = re.fullmatch(r"([a-z]+)=(\d+)", part)
        if match is None:
            raise ValueError(f"«{part}»: scrivi SERVIZIO=N, per esempio cart=2")
        service, count = match[1], int(match[2])
        if service not in SERVICES:
            raise ValueError(f"«{service}» non è un servizio ({', '.join(SERVICES)})")
        if not 1 <= count <= MAX_REPLICAS:
            raise ValueError(f"{service}: da 1 a {MAX_REPLICAS} repliche, non {count}")
        if service in replicas:
            raise ValueError(f"{service} indicato due volte")
        replicas[service] = count
    if not replicas:
        raise ValueError("--replicas vuoto: per esempio --replicas cart=2")
    return replicas


def replica_ports(service: str, count: int) -> list[int]:
    start = REPLICA_PORTS_FROM + 10 * SERVICES.index(service)
    return list(range(start, start + count))


def gateway_env(settings: Settings, replicas: dict[str, int]) -> dict[str, str]:
    """The `SPORTELLO_<SERVICE>_URLS` the gateway needs to reach every replica."""
    env = {}
    for service, count in replicas.items():
        if count > 1:
            host = urlsplit(settings.service_url(service)).hostname
            urls = [f"http://{host}:{port}" for port in replica_ports(service, count)]
            env[f"SPORTELLO_{service.upper()}_URLS"] = json.dumps(urls)
    return env


def procfile_with_replicas(procfile: str, settings: Settings, replicas: dict[str, int]) -> str:
    """The Procfile with `name: sportello serve name` repeated per replica, each on its port,
    and the gateway's line given the replicas' URLs."""
    env = gateway_env(settings, replicas)
    lines = []
    for line in procfile.splitlines():
        name, sep, command = line.partition(":")
        name, command = name.strip(), command.strip()
        if sep and replicas.get(name, 1) > 1 and command == f"sportello serve {name}":
            for i, port in enumerate(replica_ports(name, replicas[name]), start=1):
                lines.append(f"{name}-{i}: {command} --port {port}")  # honcho: no dots
        elif sep and name == "gateway" and env:
            assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
            lines.append(f"{name}: env {assignments} {command}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def _command_words(command: str) -> tuple[list[str], list[str]]:
    """A Procfile command as (the `env K=V` prefix, the command itself)."""
    words = shlex.split(command)
    prefix = []
    if words[:1] == ["env"]:
        prefix.append(words.pop(0))
        while words and "=" in words[0]:
            prefix.append(words.pop(0))
    return prefix, words


def with_interpreter(procfile: str, python: str) -> str:
    """The Procfile with each `sportello …` run by `python -m sportello.cli …`: the processes
    start through the interpreter of `up` itself, whether or not its venv is on PATH."""
    lines = []
    for line in procfile.splitlines():
        name, sep, command = line.partition(":")
        if sep and command.strip():
            prefix, words = _command_words(command.strip())
            if words[:1] == ["sportello"]:
                words = [python, "-m", "sportello.cli", *words[1:]]
                line = f"{name.strip()}: {shlex.join(prefix + words)}"
        lines.append(line)
    return "\n".join(lines) + "\n"


# `sportello serve NAME` of an app → the setting holding its URL (services: `<name>_url`).
APP_URL_SETTING = {
    "gateway": "gateway_url",
    "storefront": "storefront_url",
    "backoffice": "backoffice_url",
    "mailsink": "mail_sink_url",
    "payments-sandbox": "payment_sandbox_url",
    "sdi-sandbox": "sdi_sandbox_url",
}


def process_urls(procfile: str, settings: Settings) -> dict[str, str]:
    """Procfile name → the URL its `sportello serve` process listens on, to see it answer."""
    urls = {}
    for line in procfile.splitlines():
        name, sep, command = line.partition(":")
        if not sep or not command.strip():
            continue
        _, words = _command_words(command.strip())
        if words[:2] != ["sportello", "serve"] or len(words) < 3:
            continue
        served = words[2]
        field = APP_URL_SETTING.get(served, f"{served}_url")
        url = getattr(settings, field, None)
        if url is None:
            continue
        parts = urlsplit(url)
        port = words[words.index("--port") + 1] if "--port" in words else parts.port
        urls[name.strip()] = f"{parts.scheme}://{parts.hostname}:{port}"
    return urls
