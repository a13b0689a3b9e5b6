"""``sharekit hash-password``: the value for ``admin_password_hash``."""

from __future__ import annotations

import argparse
import getpass
import sys

from .common import Commands, Failure

__all__ = ["register"]

MIN_LENGTH = 12


def _read_password() -> str:
    """Asked twice on a terminal; one line from stdin otherwise (for scripts)."""
    if sys.stdin.isatty():
        password = getpass.getpass("Admin password: ")
        if getpass.getpass("The same again: ") != password:
            raise Failure("the two passwords differ; nothing was hashed")
        return password
    line = sys.stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


def _run_hash_password(args: argparse.Namespace) -> None:
    from sharekit.admin.passwords import hash_password

    password = _read_password()
    if len(password) < MIN_LENGTH:
        raise Failure(f"the password needs at least {MIN_LENGTH} characters")
    print(hash_password(password))
    if sys.stdout.isatty():
        print(
            "Put it into admin_password_hash (or SHAREKIT_ADMIN_PASSWORD_HASH, in single "
            "quotes in a shell: it contains $) and restart the service.",
            file=sys.stderr,
        )


def register(commands: Commands) -> None:
    """Add this module's commands."""
    hashing = commands.add_parser(
        "hash-password",
        help="print a hash of the admin password, for the admin_password_hash setting",
        description=(
            "Hash the password for /admin with scrypt and a random salt, and print the hash "
            "for the admin_password_hash setting. On a terminal the password is asked for "
            "twice, unseen; otherwise the first line of stdin is the password."
        ),
    )
    hashing.set_defaults(run=_run_hash_password)
