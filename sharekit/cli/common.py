"""What every ``sharekit`` command shares: the error users can fix, settings, the database."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeAlias, TypeVar

from sharekit.errors import ServiceUnavailable
from sharekit.settings import Settings
from sharekit.storage import Database

__all__ = [
    "Commands",
    "Failure",
    "add_config",
    "redacted",
    "site_option",
    "with_database",
    "write_text",
]

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What a group's ``register`` gets: ``commands.add_parser(name, …)`` adds one."""

T = TypeVar("T")


class Failure(Exception):
    """A command failed in a way the user can fix; the message says how."""


def add_config(parser: argparse.ArgumentParser) -> None:
    """The ``--config FILE`` option of every command that reads settings."""
    parser.add_argument("--config", metavar="FILE", help="TOML settings file")


def redacted(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` on the settings' database (migrated first where that is automatic),
    close it, and turn an unreachable database into a :class:`Failure`."""
    database = Database(settings.database_url, auto_migrate=settings.migrates_automatically)

    async def run() -> T:
        try:
            return await work(database)
        finally:
            await database.close()

    try:
        return asyncio.run(run())
    except ServiceUnavailable as exc:
        cause = str(exc.__cause__).splitlines()[0] if exc.__cause__ else "no answer"
        where = redacted(settings.database_url)
        raise Failure(f"cannot reach the database {where}: {cause.split(') ', 1)[-1]}") from exc


def write_text(text: str) -> None:
    """Write to standard output as UTF-8, whatever the terminal's locale."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def site_option(settings: Settings, key: str | None) -> str | None:
    """``--site``: a configured site's key (any key when no site is configured)."""
    if key is None or not settings.sites or settings.site(key) is not None:
        return key
    known = ", ".join(site.key for site in settings.sites)
    raise Failure(f"there is no site {key!r}; the configured sites are: {known}")
