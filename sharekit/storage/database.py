"""The connection: an async engine that brings its schema up to date on first use."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from sharekit.errors import ConfigurationError, ServiceUnavailable

from .checkpoints import Checkpointer
from .turns import TurnCache, committed
from .writer import GroupCommit, Job, Outcome, run_jobs

__all__ = ["UNAVAILABLE", "Database"]

# What a database that is down or unreachable raises: asyncpg lets connection failures
# through as OSError (TimeoutError included) rather than as SQLAlchemy errors.
UNAVAILABLE = (SQLAlchemyError, OSError)

# SQLSTATEs of a statement that lost a lock conflict with another transaction (deadlock
# detected, serialization failure): running it again afterwards succeeds.
_LOST_LOCK = frozenset({"40P01", "40001"})
LOCK_RETRIES = 3


def _lost_lock(error: object) -> bool:
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in _LOST_LOCK


# Connections of the writer engine carry this option; on SQLite their BEGIN takes the
# write lock at once (see ``_sqlite_begin``).
_WRITE = "sharekit_write"

T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000  # how long a writer waits for another process's write lock


def _sqlite_connect(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # First: switching a new file to WAL needs a lock that another process may hold.
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Every write runs in a savepoint of its own (``writer.run_jobs``), and SQLite keeps
    # the pages a savepoint may have to restore in a temporary file once they pass 64 KiB:
    # a batch of posts wrote ~200 pages there, a system call each. In memory they cost
    # nothing (at most a batch's pages, a few MB).
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()
    # The driver would BEGIN only before DML and never before DDL or SELECT; SQLAlchemy
    # emits BEGIN itself instead (``_sqlite_begin``), so reads are repeatable and
    # migrations are transactional.
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


def _sqlite_writer_connect(dbapi_connection: object, record: object) -> None:
    _sqlite_connect(dbapi_connection, record)
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA wal_autocheckpoint=0")  # a Checkpointer does it, off the loop
    cursor.close()


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


# PostgreSQL: every process's write batch first takes this transaction-level advisory lock,
# so batches from several workers take turns, as SQLite's single writer does, instead of
# taking the same thread rows in different orders and deadlocking (measured with 2
# workers and 20 posting clients: 7-8 deadlocks in 8 s without it, none with it, and about
# four times the accepted posts). Reads never wait for it.
WRITE_TURN = 0x736B_7772  # "skwr"


def _run_in_turn(connection: Connection, jobs: Sequence[Job]) -> list[Outcome]:
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_TURN})")
    return run_jobs(connection, jobs)


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
        if self.dialect == "sqlite":
            if not parsed.database or parsed.database == ":memory:":
                raise ConfigurationError(
                    "database_url must name a SQLite file (an in-memory database would be "
                    "a different one on every connection)"
                )
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.url = parsed
        self.auto_migrate = auto_migrate
        self.engine: AsyncEngine = create_async_engine(parsed, pool_pre_ping=True)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_connect)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self._writer = self.engine.execution_options(**{_WRITE: True})
        # SQLite: the group commit runs each batch on a plain sqlite3 connection, in the
        # event loop while the write lock is free, else in a thread that waits for it.
        self._sync_writer: Engine | None = None
        self._checkpoints: Checkpointer | None = None
        self._thread: ThreadPoolExecutor | None = None
        if self.dialect == "sqlite":
            sync_engine = create_engine(
                parsed.set(drivername="sqlite"),
                connect_args={"check_same_thread": False},
                pool_size=1,
                max_overflow=0,
            )
            # No "begin" listener here: any connection event makes SQLAlchemy dispatch
            # events around every statement; ``_execute_here`` says BEGIN IMMEDIATE itself.
            event.listen(sync_engine, "connect", _sqlite_writer_connect)
            self._sync_writer = sync_engine
            self._checkpoints = Checkpointer(parsed.database or "")
        self._group = GroupCommit(self._execute)
        self._ready = False
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._quick: sqlite3.Connection | None = None
        self._turn = TurnCache()

    def created(self) -> bool:
        """``False`` for a SQLite file nobody has written yet (a server database: ``True``)."""
        if self.dialect != "sqlite":
            return True
        return Path(self.url.database or "").exists()

    async def ready(self) -> AsyncEngine:
        """The engine, after making sure the schema is at the revision this code needs.

        Raises :class:`~sharekit.ConfigurationError` when the schema is behind and
        ``auto_migrate`` is off, :class:`~sharekit.errors.ServiceUnavailable` when the
        database cannot be reached.
        """
        if not self._ready:
            from . import migrate  # migrate builds on this module

            # Concurrent first requests migrate once per event loop (the sync template tags
            # run a loop of their own; an upgrade is safe to run twice, even at once).
            loop = asyncio.get_running_loop()
            lock = self._locks.get(loop)
            if lock is None:
                lock = self._locks[loop] = asyncio.Lock()
            async with lock:
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

    async def write(self, job: Callable[[Connection], T]) -> T:
        """Run ``job`` (a function of a synchronous connection) in the next group commit;
        its result once committed. What ``job`` raises reaches only this caller, and
        nothing it did is kept; database errors become 503s."""
        await self.ready()
        result: T = await self._group.run(job)
        return result

    async def _execute(self, jobs: Sequence[Job]) -> list[Outcome]:
        try:
            if self._sync_writer is None:
                async with self._writer.begin() as connection:
                    done = await connection.run_sync(_run_in_turn, jobs)
                return await self._rerun_lost_locks(jobs, done)
            # SQLite: a batch is a few hundred microseconds of work on a local file, less
            # than handing it to a thread and back costs. Run it right here when the write
            # lock is free; when another process holds it, wait for it in a thread.
            outcomes = self._execute_here(jobs, wait=False)
            if outcomes is None:
                if self._thread is None:
                    self._thread = ThreadPoolExecutor(1, thread_name_prefix="sharekit-writer")
                loop = asyncio.get_running_loop()
                outcomes = await loop.run_in_executor(self._thread, self._execute_here, jobs, True)
            assert outcomes is not None
            return outcomes
        except UNAVAILABLE as exc:
            raise ServiceUnavailable(retry_after=5) from exc
        finally:
            committed()

    async def _rerun_lost_locks(
        self, jobs: Sequence[Job], outcomes: list[Outcome]
    ) -> list[Outcome]:
        """PostgreSQL: jobs that lost a deadlock to another process's batch (which took the
        same thread rows in another order) were rolled back to their savepoint; run them
        again in a new transaction, now that this batch has committed and freed its locks."""
        for _ in range(LOCK_RETRIES):
            lost = [i for i, (ok, value) in enumerate(outcomes) if not ok and _lost_lock(value)]
            if not lost:
                break
            async with self._writer.begin() as connection:
                again = await connection.run_sync(_run_in_turn, [jobs[i] for i in lost])
            for i, outcome in zip(lost, again, strict=True):
                outcomes[i] = outcome
        return outcomes

    def _execute_here(self, jobs: Sequence[Job], wait: bool) -> list[Outcome] | None:
        """Run a batch in one SQLite transaction; ``None`` (nothing done) when ``wait`` is
        off and another connection holds the write lock."""
        assert self._sync_writer is not None
        with self._sync_writer.connect() as connection:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS if wait else 0}")
            # The driver is in autocommit mode (``_sqlite_connect``): this BEGIN is the
            # only transaction, and taking the write lock up front waits (busy_timeout)
            # for writers in other processes instead of failing later.
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except OperationalError as exc:
                if not wait and "locked" in str(exc.orig):
                    return None
                raise
            try:
                outcomes = run_jobs(connection, jobs)
            except BaseException:
                connection.exec_driver_sql("ROLLBACK")
                raise
            connection.exec_driver_sql("COMMIT")
            assert self._checkpoints is not None
            if self._checkpoints.committed():  # the log grew too long: as SQLite would
                row = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").first()
                self._checkpoints.caught_up(tuple(row) if row is not None else None)
            return outcomes

    @asynccontextmanager
    async def unmigrated_writing(self) -> AsyncIterator[AsyncConnection]:
        """Like :meth:`writing`, without ``ready()``: for the migrations themselves."""
        try:
            async with self._writer.begin() as connection:
                yield connection
        except UNAVAILABLE as exc:
            raise ServiceUnavailable(retry_after=5) from exc
        finally:
            committed()

    async def read_now(
        self, sql: str, parameters: tuple[object, ...]
    ) -> tuple[tuple[Any, ...], ...]:
        """SQLite only: a tiny read on a stdlib connection in the calling thread.

        aiosqlite runs every statement on a thread of its own; the hand-over costs far more
        than a one-row index look-up. Hot paths (a thread's version, asked on every listing)
        read here instead, from a read-only connection, and the requests of one turn of the
        event loop share each answer (:mod:`.turns`: it is as fresh as a read of their own,
        and spares the file-lock system calls SQLite makes for every read transaction).
        """
        key = (sql, parameters)
        found: tuple[tuple[Any, ...], ...] | None = self._turn.get(key)
        if found is not None:
            return found
        await self.ready()
        if self._quick is None:
            path = self.url.database or ""
            self._quick = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=5
            )
        try:
            found = tuple(self._quick.execute(sql, parameters).fetchall())
        except sqlite3.Error as exc:
            raise ServiceUnavailable(retry_after=5) from exc
        self._turn.put(key, found)
        return found

    async def close(self) -> None:
        """Close every pooled connection."""
        await self._group.wait_idle()
        if self._quick is not None:
            self._quick.close()
            self._quick = None
        if self._thread is not None:
            self._thread.shutdown()
            self._thread = None
        if self._checkpoints is not None:
            self._checkpoints.close()
        if self._sync_writer is not None:
            self._sync_writer.engine.dispose()
        await self.engine.dispose()
