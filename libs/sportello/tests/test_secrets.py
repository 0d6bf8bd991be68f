"""No usable default secret: the sandbox's webhook secret is made per installation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sportello.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def test_the_sandbox_secret_has_no_default_and_sportello_keys_makes_one_per_installation(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPORTELLO_")}
    assert Settings(_env_file=None, jwt_keys_dir=tmp_path / "a").payment_sandbox_secret is None
    secrets = []
    for name in ("a", "b"):
        keys = tmp_path / name
        out = subprocess.run([sys.executable, "-m", "sportello.cli", "keys"], capture_output=True,
                             text=True, env={**env, "SPORTELLO_JWT_KEYS_DIR": str(keys)}, check=True)
        assert "payments-sandbox.secret" in out.stdout
        secret = Settings(jwt_keys_dir=keys).payment_sandbox_secret
        assert secret and len(secret) >= 32
        assert oct((keys / "payments-sandbox.secret").stat().st_mode & 0o777) == "0o600"
        secrets.append(secret)
    assert secrets[0] != secrets[1]


def test_no_deployment_file_falls_back_to_a_sandbox_secret():
    compose = (ROOT / "docker-compose.yml").read_text()
    line = next(x for x in compose.splitlines() if "SPORTELLO_PAYMENT_SANDBOX_SECRET:" in x)
    assert ":?" in line and ":-" not in line
    for path in [ROOT / "libs/sportello/src/sportello/settings.py", *ROOT.glob("deploy/**/*.yaml")]:
        assert "sandbox-webhook-secret" not in path.read_text(), path
