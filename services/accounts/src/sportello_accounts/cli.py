"""Operator command: `sportello staff create --email EMAIL` (the password as one line on stdin).

Staff users exist only through this command; public registration always makes customers.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from sportello.db import ensure_database, make_engine, make_sessionmaker, upgrade_async
from sportello.errors import ValidationFailed

from sportello_accounts import domain, repository
from sportello_accounts.passwords import Passwords
from sportello_accounts.settings import AccountsSettings, get_accounts_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sportello staff", description="Utenti dello staff.")
    sub = parser.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="crea un utente staff (password da stdin)")
    create.add_argument("--email", required=True)
    create.add_argument("--first-name", default="Staff")
    create.add_argument("--last-name", default="Sportello")
    return parser


async def create_staff(settings: AccountsSettings, email: str, password: str, first_name: str,
                       last_name: str) -> str:
    """Create the staff user, or set the password of an existing one. Returns what was done."""
    url = settings.database_url("accounts")
    await ensure_database(url)
    await upgrade_async(MIGRATIONS, url)
    email = domain.normalise_email(email)
    domain.check_password(password, "password", email)
    passwords = Passwords(settings)
    engine = make_engine(url, pool_size=1)
    try:
        sessionmaker = make_sessionmaker(engine)
        sessionmaker.configure(info={"service": "accounts"})
        async with sessionmaker() as session:
            existing = await repository.by_email(session, email)
            if existing is not None and existing.role != domain.Role.STAFF:
                raise SystemExit(f"{email} è già un cliente: usa un altro indirizzo per lo staff.")
            if existing is not None:
                existing.password_hash = await passwords.hash(password)
                done = "aggiornato"
            else:
                await repository.create_account(
                    session, email=email, password_hash=await passwords.hash(password),
                    first_name=first_name, last_name=last_name, role=domain.Role.STAFF,
                    privacy_version=None, marketing=False)
                done = "creato"
            await session.commit()
        return done
    finally:
        await engine.dispose()


def command(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        done = asyncio.run(create_staff(get_accounts_settings(), args.email, password,
                                        args.first_name, args.last_name))
    except ValidationFailed as e:
        for error in e.errors or []:
            print(f"{error.field}: {error.message}", file=sys.stderr)
        return 1
    except SystemExit as e:
        print(e, file=sys.stderr)
        return 1
    print(f"Utente staff {done}: {args.email}")
    return 0
