"""Schema migrations (Alembic), run from code: no ``alembic.ini`` is needed at run time.

``Database.ready()`` calls :func:`upgrade` (or :func:`check` when auto-migration is off);
``sharekit migrate`` calls :func:`upgrade` directly. A new revision for developers::

    from alembic import command
    from sharekit.storage.migrate import alembic_config
    config = alembic_config("sqlite+aiosqlite:///scratch.db")
    command.upgrade(config, "head")
    command.revision(config, "what changes", autogenerate=True, rev_id="0002")
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from sharekit.errors import ConfigurationError, ServiceUnavailable

from .database import UNAVAILABLE, Database

__all__ = ["alembic_config", "check", "current", "head", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Any fixed 64-bit number, the same in every sharekit process: holders of this PostgreSQL
# advisory lock are migrating; others wait, then find the schema already at head.
ADVISORY_LOCK = 0x5348_4B5F_4D49_4752  # "SHK_MIGR"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for sharekit's migrations (``url`` only for the Alembic CLI
    or ``command`` functions; sharekit itself hands env.py a live connection)."""
    config = Config()
    # ConfigParser interpolates "%": a path or password containing one must be escaped.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    # New revisions get file names that are valid module names (mypy checks them).
    config.set_main_option("file_template", "r%%(rev)s_%%(slug)s")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The revision this version of sharekit needs."""
    revision = _scripts().get_current_head()
    assert revision is not None, "sharekit ships at least one migration"
    return revision


def _known(revision: str | None) -> bool:
    if revision is None:
        return True
    return any(script.revision == revision for script in _scripts().walk_revisions())


def _unknown(revision: str) -> ConfigurationError:
    return ConfigurationError(
        f"the database schema is at revision {revision}, which this version of sharekit "
        f"does not know (it needs {head()}): was it migrated by a newer sharekit?"
    )


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection) -> None:
    revision = _current(connection)
    if not _known(revision):
        raise _unknown(str(revision))
    if revision == head():
        return  # the common case: skip loading env.py and the revision files
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade(database: Database) -> None:
    """Bring the schema to :func:`head`; safe to run from several processes at once.

    Workers starting together on a new SQLite file can find it locked for a moment (the
    first one switches it to WAL): such an attempt is retried a few times before it fails.
    """
    for attempt in range(5):
        try:
            await _upgrade_once(database)
            return
        except ServiceUnavailable:
            if attempt == 4 or database.dialect != "sqlite":
                raise
            await asyncio.sleep(0.05 * 2**attempt)


async def _upgrade_once(database: Database) -> None:
    async with database.unmigrated_writing() as connection:
        # Whoever gets the lock migrates; the others read the version after it is
        # released, so they find nothing left to do. The lock ends with the transaction,
        # and DDL is transactional on both dialects: a failed upgrade leaves no trace.
        if database.dialect == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK}
            )
        # On SQLite the transaction began IMMEDIATE: it holds the write lock already.
        await connection.run_sync(_upgrade)


async def current(database: Database) -> str | None:
    """The revision the database schema is at; ``None`` for an empty database."""
    try:
        async with database.engine.connect() as connection:
            return await connection.run_sync(_current)
    except UNAVAILABLE as exc:
        raise ServiceUnavailable(retry_after=5) from exc


async def check(database: Database) -> None:
    """Raise :class:`~sharekit.ConfigurationError` unless the schema is at :func:`head`."""
    revision = await current(database)
    if revision is not None and not _known(revision):
        raise _unknown(revision)
    if revision != head():
        raise ConfigurationError(
            f"the database schema is at revision {revision or 'none (empty database)'}, "
            f"sharekit needs {head()}: run `sharekit migrate`"
        )
