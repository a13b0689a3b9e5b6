"""The connection: an async engine that brings its schema up to date on first use."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from sharekit.errors import ConfigurationError, ServiceUnavailable

__all__ = ["UNAVAILABLE", "Database"]

# What a database that is down or unreachable raises: asyncpg lets connection failures
# through as OSError (TimeoutError included) rather than as SQLAlchemy errors.
UNAVAILABLE = (SQLAlchemyError, OSError)

# Connections of the writer engine carry this option; on SQLite their BEGIN takes the
# write lock at once (see ``_sqlite_begin``).
_WRITE = "sharekit_write"


def _sqlite_connect(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # First: switching a new file to WAL needs a lock that another process may hold.
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # The driver would BEGIN only before DML and never before DDL or SELECT; SQLAlchemy
    # emits BEGIN itself instead (``_sqlite_begin``), so reads are repeatable and
    # migrations are transactional.
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


def _sqlite_begin(connection: Connection) -> None:
    # A deferred transaction that reads and then writes fails with SQLITE_BUSY at once,
    # without waiting, when another process wrote in between; IMMEDIATE waits for the
    # write lock up front (busy_timeout), so concurrent writers queue instead of failing.
    immediate = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class _NoStatements(logging.Filter):
    """Drop aiosqlite's DEBUG records: they carry every statement's parameters, and so
    commenters' addresses, into whatever logs the host application keeps."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_QUIET = _NoStatements()
logging.getLogger("aiosqlite").addFilter(_QUIET)


class Database:
    """One engine per app. ``ready()`` migrates the schema once (or checks it is current
    when ``auto_migrate`` is off), even if mounted inside another app whose lifespan never
    reaches this one."""

    def __init__(self, url: str, *, auto_migrate: bool = True) -> None:
        try:
            parsed = make_url(url)
        except Exception as exc:  # SQLAlchemy raises ArgumentError and friends
            raise ConfigurationError(f"database_url is not a valid URL: {exc}") from exc
        self.dialect = parsed.get_backend_name()
        if self.dialect not in {"sqlite", "postgresql"}:
            raise ConfigurationError("database_url must be a sqlite or postgresql URL")
        if self.dialect == "sqlite" and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.url = parsed
        self.auto_migrate = auto_migrate
        self.engine: AsyncEngine = create_async_engine(parsed, pool_pre_ping=True)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_connect)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self._writer = self.engine.execution_options(**{_WRITE: True})
        self._ready = False
        self._lock = asyncio.Lock()
        self._quick: sqlite3.Connection | None = None

    async def ready(self) -> AsyncEngine:
        """The engine, after making sure the schema is at the revision this code needs.

        Raises :class:`~sharekit.ConfigurationError` when the schema is behind and
        ``auto_migrate`` is off, :class:`~sharekit.errors.ServiceUnavailable` when the
        database cannot be reached.
        """
        if not self._ready:
            from . import migrate  # migrate builds on this module

            async with self._lock:  # concurrent first requests migrate once
                if not self._ready:
                    if self.auto_migrate:
                        await migrate.upgrade(self)
                    else:
                        await migrate.check(self)
                    self._ready = True
        return self.engine

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection in one read transaction; database errors become 503s."""
        await self.ready()
        try:
            async with self.engine.connect() as connection:
                yield connection
        except UNAVAILABLE as exc:
            raise ServiceUnavailable(retry_after=5) from exc

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """A connection in one write transaction, committed at the end unless the block
        raises; database errors become 503s."""
        await self.ready()
        async with self.unmigrated_writing() as connection:
            yield connection

    @asynccontextmanager
    async def unmigrated_writing(self) -> AsyncIterator[AsyncConnection]:
        """Like :meth:`writing`, without ``ready()``: for the migrations themselves."""
        try:
            async with self._writer.begin() as connection:
                yield connection
        except UNAVAILABLE as exc:
            raise ServiceUnavailable(retry_after=5) from exc

    async def read_now(self, sql: str, parameters: tuple[object, ...]) -> list[tuple[Any, ...]]:
        """SQLite only: a tiny read on a stdlib connection in the calling thread.

        aiosqlite runs every statement on a thread of its own; the hand-over costs far more
        than a one-row index look-up. Hot paths (a thread's version, asked on every listing)
        read here instead, in microseconds, from a read-only connection.
        """
        await self.ready()
        if self._quick is None:
            path = self.url.database or ""
            self._quick = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=5
            )
        try:
            return self._quick.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise ServiceUnavailable(retry_after=5) from exc

    async def close(self) -> None:
        """Close every pooled connection."""
        if self._quick is not None:
            self._quick.close()
            self._quick = None
        await self.engine.dispose()
