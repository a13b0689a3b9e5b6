"""The group commit: queued writes share one transaction; each caller gets its own answer."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from sharekit.errors import ConfigurationError, ServiceUnavailable
from sharekit.storage.database import Database
from sharekit.storage.writer import GroupCommit, Job, Outcome

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder:
    """An ``execute`` that runs jobs without a database and remembers the batches."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.batches: list[int] = []
        self.fail = fail
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, jobs: Sequence[Job]) -> list[Outcome]:
        await self.release.wait()
        self.batches.append(len(jobs))
        if self.fail is not None:
            raise self.fail
        outcomes: list[Outcome] = []
        for job in jobs:
            try:
                outcomes.append((True, job(None)))  # type: ignore[arg-type]
            except Exception as exc:
                outcomes.append((False, exc))
        return outcomes


def value(result: Any) -> Job:
    return lambda _connection: result


def failing(exc: Exception) -> Job:
    def job(_connection: Connection) -> None:
        raise exc

    return job


async def test_jobs_queued_while_a_batch_runs_commit_together() -> None:
    execute = Recorder()
    group = GroupCommit(execute)
    execute.release.clear()
    first = asyncio.ensure_future(group.run(value(0)))
    await asyncio.sleep(0)  # the first batch (one job) is now waiting on the database
    rest = [asyncio.ensure_future(group.run(value(n))) for n in range(1, 11)]
    await asyncio.sleep(0)
    execute.release.set()
    assert await first == 0
    assert await asyncio.gather(*rest) == list(range(1, 11))
    assert execute.batches == [1, 10]


async def test_batches_are_capped() -> None:
    execute = Recorder()
    group = GroupCommit(execute, max_batch=4)
    results = await asyncio.gather(*(group.run(value(n)) for n in range(10)))
    assert results == list(range(10))
    assert execute.batches == [4, 4, 2]


async def test_a_failing_job_answers_only_its_caller() -> None:
    group = GroupCommit(Recorder())
    outcomes = await asyncio.gather(
        group.run(value("a")),
        group.run(failing(KeyError("mine"))),
        group.run(value("c")),
        return_exceptions=True,
    )
    assert outcomes[0] == "a"
    assert isinstance(outcomes[1], KeyError)
    assert outcomes[2] == "c"


async def test_a_failing_batch_answers_every_caller_and_the_next_batch_runs() -> None:
    execute = Recorder(fail=ServiceUnavailable(retry_after=5))
    group = GroupCommit(execute)
    outcomes = await asyncio.gather(
        *(group.run(value(n)) for n in range(3)), return_exceptions=True
    )
    assert all(isinstance(outcome, ServiceUnavailable) for outcome in outcomes)
    execute.fail = None
    assert await group.run(value("later")) == "later"


async def test_a_cancelled_caller_does_not_stop_its_batch() -> None:
    execute = Recorder()
    group = GroupCommit(execute)
    execute.release.clear()
    waiting = asyncio.ensure_future(group.run(value("gone")))
    other = asyncio.ensure_future(group.run(value("kept")))
    await asyncio.sleep(0)
    waiting.cancel()
    execute.release.set()
    assert await other == "kept"
    assert execute.batches == [2]
    await group.wait_idle()


async def test_writes_on_sqlite_share_one_transaction(tmp_path: Path) -> None:
    """On a real SQLite file: a failed job leaves no trace, its neighbours commit."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    try:
        await database.write(lambda c: c.execute(text("CREATE TABLE t (v INTEGER UNIQUE)")))

        def insert(number: int) -> Job:
            return lambda c: c.execute(text("INSERT INTO t VALUES (:v)"), {"v": number})

        outcomes = await asyncio.gather(
            database.write(insert(1)),
            database.write(insert(1)),  # violates UNIQUE: rolled back alone
            database.write(insert(2)),
            return_exceptions=True,
        )
        assert [isinstance(outcome, Exception) for outcome in outcomes] == [False, True, False]
        async with database.reading() as connection:
            rows = (await connection.execute(text("SELECT v FROM t ORDER BY v"))).all()
        assert [row.v for row in rows] == [1, 2]
    finally:
        await database.close()


def test_an_in_memory_sqlite_database_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="SQLite file"):
        Database("sqlite+aiosqlite:///:memory:")


async def test_a_write_lock_held_elsewhere_is_waited_for_without_blocking(
    tmp_path: Path,
) -> None:
    """Another process holds SQLite's write lock: the batch waits for it in a thread, and
    the event loop keeps serving meanwhile."""
    path = tmp_path / "w.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        await database.write(lambda c: c.execute(text("CREATE TABLE t (v INTEGER)")))
        other.execute("BEGIN IMMEDIATE")  # the write lock, as another process would hold it
        write = asyncio.ensure_future(
            database.write(lambda c: c.execute(text("INSERT INTO t VALUES (1)")))
        )
        ticks = 0
        while ticks < 20:  # the loop runs while the write waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert not write.done()
        other.execute("COMMIT")
        await asyncio.wait_for(write, timeout=5)
        async with database.reading() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 1
    finally:
        other.close()
        await database.close()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc (Linux)")
async def test_savepoints_keep_what_they_may_restore_in_memory(tmp_path: Path) -> None:
    """A job's savepoint journals the pages it changes; past 64 KiB SQLite would move that
    journal to a temporary file (a system call per page) unless told to keep it in memory."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")

    def temporary_files() -> list[str]:
        found = []
        for fd in Path("/proc/self/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:  # closed meanwhile
                continue
            if "etilqs_" in target:  # SQLite's name for its temporary files
                found.append(target)
        return found

    def rewrite_everything(c: Connection) -> list[str]:
        c.execute(text("UPDATE t SET v = upper(v)"))  # every page, ~1 MB, journaled
        return temporary_files()

    try:
        await database.write(lambda c: c.execute(text("CREATE TABLE t (v TEXT)")))
        await database.write(
            lambda c: c.execute(text("INSERT INTO t VALUES (:v)"), [{"v": "x" * 1000}] * 1000)
        )
        assert await database.write(rewrite_everything) == []
    finally:
        await database.close()
