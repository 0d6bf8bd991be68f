"""`sportello up --replicas`: what the operator types, the Procfile and environment it produces."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from sportello import cli
from sportello.scaling import parse_replicas, procfile_with_replicas
from sportello.settings import SERVICE_PORTS, Settings

ROOT_PROCFILE = Path(__file__).resolve().parents[3] / "Procfile"


def test_replicas_are_parsed_and_nonsense_is_refused_with_the_reason():
    assert parse_replicas("cart=2,orders=3") == {"cart": 2, "orders": 3}
    assert parse_replicas(" cart=2 , ") == {"cart": 2}
    for bad, reason in [("cart", "SERVIZIO=N"), ("basket=2", "non è un servizio"),
                        ("cart=0", "da 1 a 10"), ("cart=11", "da 1 a 10"),
                        ("cart=2,cart=3", "due volte"), ("", "vuoto")]:
        with pytest.raises(ValueError, match=reason):
            parse_replicas(bad)


def test_each_replica_gets_its_line_and_port_and_the_gateway_all_their_urls():
    text = procfile_with_replicas(ROOT_PROCFILE.read_text(), Settings(),
                                  {"cart": 2, "orders": 3, "catalog": 1})
    lines = dict(line.split(": ", 1) for line in text.splitlines())
    assert lines["cart-1"] == "sportello serve cart --port 8220"
    assert lines["cart-2"] == "sportello serve cart --port 8221"
    assert [lines[f"orders-{i}"] for i in (1, 2, 3)] == [
        f"sportello serve orders --port {p}" for p in (8240, 8241, 8242)]
    assert "cart" not in lines and "orders" not in lines
    assert lines["catalog"] == "sportello serve catalog"  # one replica: as before
    assert lines["storefront"] == "sportello serve storefront"
    # The gateway's line, as the shell honcho runs it would split it.
    words = shlex.split(lines["gateway"])
    assert words[0] == "env" and words[-3:] == ["sportello", "serve", "gateway"]
    env = dict(w.split("=", 1) for w in words[1:-3])
    assert json.loads(env["SPORTELLO_CART_URLS"]) == ["http://127.0.0.1:8220",
                                                       "http://127.0.0.1:8221"]
    assert json.loads(env["SPORTELLO_ORDERS_URLS"]) == [
        f"http://127.0.0.1:{p}" for p in (8240, 8241, 8242)]
    assert "SPORTELLO_CATALOG_URLS" not in env
    ports = [int(v.rsplit(" ", 1)[1]) for k, v in lines.items() if "-" in k]
    assert len(ports) == len(set(ports)) and not set(ports) & {8000, 8080, 8090, 8025,
                                                                *SERVICE_PORTS.values()}


def test_up_help_and_a_wrong_argument_say_how_to_use_it(capsys, tmp_path):
    assert cli.cmd_up(["--help"]) == 0
    assert "--replicas cart=2,orders=3" in capsys.readouterr().out
    assert cli.cmd_up(["--replicas", "cart=x"]) == 2
    assert "SERVIZIO=N" in capsys.readouterr().err
    procfile, root = cli._up_procfile(["--replicas=cart=2"], Settings(), ROOT_PROCFILE)
    assert "cart-2: sportello serve cart --port 8221" in procfile.read_text()
    assert root == str(ROOT_PROCFILE.parent)  # honcho still runs from the project (its .env)



def start_honcho(procfile: Path, env: dict[str, str]):
    """honcho running `procfile` as `sportello up` runs it; its output next to the file."""
    import os
    import subprocess
    import sys

    log = open(procfile.with_suffix(".log"), "wb")  # noqa: SIM115 - closed by the test
    return subprocess.Popen([sys.executable, "-m", "honcho", "-f", str(procfile), "start"],
                            env={**os.environ, **env}, start_new_session=True,
                            stdout=log, stderr=subprocess.STDOUT), log


async def test_the_generated_procfile_runs_two_cart_replicas_behind_the_gateway(settings):
    """A real run of what `up --replicas cart=2` starts (the cart lines and the gateway's)."""
    import asyncio
    import os
    import re
    import signal
    import socket

    import httpx
    from sportello.db import ensure_database, upgrade_async
    from sportello.scaling import replica_ports
    from sportello.testing import wait_for
    from sportello.testing.processes import free_port, settings_env

    ports = replica_ports("cart", 2)
    for port in ports:
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} is taken on this machine"
    run = settings.model_copy(update={"gateway_url": f"http://127.0.0.1:{free_port()}"})
    cart = cli.services()["cart"]
    await ensure_database(run.database_url("cart"))
    await upgrade_async(cart.migrations, run.database_url("cart"))
    text = procfile_with_replicas(ROOT_PROCFILE.read_text(), run, {"cart": 2})
    wanted = [line for line in text.splitlines() if line.split(":")[0] in ("cart-1", "cart-2",
                                                                           "gateway")]
    procfile = Path(settings.jwt_keys_dir).parent / "Procfile.replicas"
    procfile.write_text("\n".join(wanted) + "\n")
    honcho, log = start_honcho(procfile, settings_env(run))
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            async def answers(url):
                try:
                    return (await client.get(url + "/healthz")).status_code == 200
                except httpx.HTTPError:
                    return False

            for url in [run.gateway_url, *(f"http://127.0.0.1:{p}" for p in ports)]:
                await wait_for(lambda u=url: answers(u), timeout=60, interval=0.2,
                               message=f"{url} up; honcho said:\n"
                                       f"{procfile.with_suffix('.log').read_text()[-3000:]}")
            created = [await client.post(run.gateway_url + "/api/cart/session") for _ in range(6)]
            assert [r.status_code for r in created] == [201] * 6

            async def sessions_served(port: int) -> int:
                metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
                match = re.search(r'^sportello_http_request_seconds_count\{method="POST",'
                                  r'service="cart",status="201"\} (\S+)$', metrics, re.M)
                return int(float(match[1])) if match else 0

            # Both replicas took their turn.
            assert [await sessions_served(p) for p in ports] == [3, 3]
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        await asyncio.to_thread(honcho.wait, 20)
        log.close()
