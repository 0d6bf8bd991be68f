"""Ed25519 signing keys on disk: `<kid>.key.pem` (accounts only) and `<kid>.pub.pem` (everyone).

Keys are generated at first start into a directory outside the repository, never committed.
Two or more public keys may be served at once, so a new key can be rolled out before the old
one stops being accepted.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def generate_key(keys_dir: Path) -> str:
    """Write a new key pair; its kid sorts after every older one. Returns the kid."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    kid = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_path = keys_dir / f"{kid}.key.pem"
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private)
    (keys_dir / f"{kid}.pub.pem").write_bytes(public)
    return kid


def ensure_key(keys_dir: Path) -> str:
    """The newest signing key's kid, generating one if the directory has none."""
    existing = sorted(keys_dir.glob("*.key.pem")) if keys_dir.exists() else []
    if existing:
        return existing[-1].name.removesuffix(".key.pem")
    return generate_key(keys_dir)


SANDBOX_SECRET_FILE = "payments-sandbox.secret"
SDI_SANDBOX_SECRET_FILE = "sdi-sandbox.secret"
# Signs the receipts of uploaded files (documents issues them, cart checks them).
DOCUMENTS_SECRET_FILE = "documents.secret"


def ensure_sandbox_secret(keys_dir: Path, name: str = SANDBOX_SECRET_FILE) -> Path:
    """This installation's secret of a sandbox's webhooks (payments, SDI) or of the documents'
    receipts, made once."""
    import secrets

    keys_dir.mkdir(parents=True, exist_ok=True)
    path = keys_dir / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    return path


def read_sandbox_secret(keys_dir: Path, name: str = SANDBOX_SECRET_FILE) -> str | None:
    try:
        return (keys_dir / name).read_text().strip() or None
    except OSError:
        return None


def load_signing_key(keys_dir: Path) -> tuple[str, Ed25519PrivateKey]:
    kid = ensure_key(keys_dir)
    key = serialization.load_pem_private_key((keys_dir / f"{kid}.key.pem").read_bytes(), None)
    assert isinstance(key, Ed25519PrivateKey)
    return kid, key


def load_public_keys(keys_dir: Path, pem_text: str | None = None) -> dict[str, Ed25519PublicKey]:
    """kid → public key, from the directory and/or PEM text ("kid=PEM" blocks split by ';;')."""
    keys: dict[str, Ed25519PublicKey] = {}
    if pem_text:
        for block in pem_text.split(";;"):
            if "=" in block:
                kid, pem = block.split("=", 1)
                key = serialization.load_pem_public_key(pem.strip().encode())
                assert isinstance(key, Ed25519PublicKey)
                keys[kid.strip()] = key
    if keys_dir.exists():
        for path in sorted(keys_dir.glob("*.pub.pem")):
            key = serialization.load_pem_public_key(path.read_bytes())
            assert isinstance(key, Ed25519PublicKey)
            keys[path.name.removesuffix(".pub.pem")] = key
    return keys
