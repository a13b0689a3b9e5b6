"""SQLite checkpoints run in a thread of their own; the writer takes over when the log
would otherwise keep growing."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from sharekit.storage.checkpoints import Checkpointer
from sharekit.storage.database import Database

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    file = tmp_path / "c.db"
    with closing(sqlite3.connect(file, isolation_level=None)) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (v TEXT)")
    return file


def writer(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA wal_autocheckpoint=0")
    return connection


def write_pages(connection: sqlite3.Connection, pages: int) -> None:
    connection.executemany("INSERT INTO t VALUES (?)", [("x" * 3000,)] * pages)


def log_pages(path: Path) -> tuple[int, int]:
    """Pages in the log, and how many of them are copied (a checkpoint that copies
    nothing new: a reader's snapshot may hold it back)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as probe:
        _busy, log, copied = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return log, copied


def test_a_checkpoint_runs_in_the_thread_after_a_commit(path: Path) -> None:
    checkpoints = Checkpointer(str(path), interval=0)
    connection = writer(path)
    try:
        write_pages(connection, 50)
        size = path.stat().st_size
        assert checkpoints.committed() is False  # the writer goes on
        checkpoints.wait()
        assert path.stat().st_size > size + 40 * 3000  # the pages are in the file now
    finally:
        connection.close()
        checkpoints.close()


def test_at_most_one_checkpoint_per_interval(path: Path) -> None:
    checkpoints = Checkpointer(str(path), interval=3600)
    connection = writer(path)
    try:
        write_pages(connection, 5)
        checkpoints.committed()
        checkpoints.wait()
        size = path.stat().st_size
        write_pages(connection, 50)
        checkpoints.committed()
        checkpoints.wait()
        assert path.stat().st_size == size  # not yet: the pages are still in the log
    finally:
        connection.close()
        checkpoints.close()


def test_the_writer_checkpoints_itself_while_the_log_is_held_back(path: Path) -> None:
    checkpoints = Checkpointer(str(path), interval=0, limit=20)
    connection = writer(path)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        write_pages(connection, 5)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM t").fetchone()  # a snapshot from now on
        write_pages(connection, 50)
        assert checkpoints.committed() is False
        checkpoints.wait()  # could not copy past the reader's snapshot
        assert checkpoints.committed() is True  # so the writer's next commit does it

        row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        checkpoints.caught_up(tuple(row))
        assert checkpoints.committed() is True  # still held back
        reader.execute("COMMIT")
        row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        checkpoints.caught_up(tuple(row))
        write_pages(connection, 1)  # the writer's next transaction starts the log over
        assert checkpoints.committed() is False
        checkpoints.wait()
        assert checkpoints.committed() is False
        assert log_pages(path)[0] < 10
    finally:
        reader.close()
        connection.close()
        checkpoints.close()


async def test_the_database_file_catches_up_with_the_log_by_itself(tmp_path: Path) -> None:
    file = tmp_path / "d.db"
    database = Database(f"sqlite+aiosqlite:///{file}")
    try:
        await database.write(lambda c: c.execute(text("CREATE TABLE t (v TEXT)")))
        size = file.stat().st_size
        for _ in range(20):
            await database.write(
                lambda c: c.execute(text("INSERT INTO t VALUES (:v)"), [{"v": "x" * 3000}] * 10)
            )
        await asyncio.sleep(0.1)  # past the interval: the next commit starts a checkpoint
        await database.write(lambda c: c.execute(text("INSERT INTO t VALUES ('last')")))
        deadline = time.monotonic() + 10
        while file.stat().st_size < size + 150 * 3000 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert file.stat().st_size >= size + 150 * 3000
    finally:
        await database.close()


async def test_a_steady_stream_of_commits_keeps_the_log_short(tmp_path: Path) -> None:
    """Commits back to back, with a reader that keeps a snapshot open now and then: the
    log starts over again and again instead of growing with every commit."""
    file = tmp_path / "d.db"
    database = Database(f"sqlite+aiosqlite:///{file}")
    assert database._checkpoints is not None
    database._checkpoints.limit = 100  # pages; 4,000 in service
    try:
        await database.write(lambda c: c.execute(text("CREATE TABLE t (v TEXT)")))
        for number in range(600):
            await database.write(
                lambda c: c.execute(text("INSERT INTO t VALUES (:v)"), [{"v": "x" * 3000}] * 5)
            )
            if number % 50 == 0:
                async with database.reading() as connection:
                    await connection.execute(text("SELECT count(*) FROM t"))
        log, _copied = log_pages(file)
        assert log < 1000  # 600 commits wrote about 3,600 pages
    finally:
        await database.close()
