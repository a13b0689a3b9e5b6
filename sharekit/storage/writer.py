"""Group commit: every write of a process goes through one queue, and the writes waiting
in it commit together in one transaction.

SQLite has one write lock per file. Many connections taking turns at it wait in SQLite's
busy handler, which sleeps in steps of milliseconds; one writer that takes whatever
queued up while the previous batch committed never waits and pays for one commit per
batch. Each write runs inside a savepoint of its own, so one that fails (a duplicate
comment, a parent that is gone) is rolled back alone and only its caller sees the error.
A caller is answered only after the commit: an acknowledged write is stored.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.exc import InterfaceError, OperationalError

__all__ = ["MAX_BATCH", "GroupCommit", "Job", "Outcome", "run_jobs"]

T = TypeVar("T")
Job = Callable[[Connection], Any]
# (True, value) or (False, the exception the job raised).
Outcome = tuple[bool, Any]

MAX_BATCH = 200
# The database itself failed: the whole transaction is lost, not just one job.
_FATAL = (OperationalError, InterfaceError, OSError, sqlite3.OperationalError)


def run_jobs(connection: Connection, jobs: Sequence[Job]) -> list[Outcome]:
    """Run ``jobs`` in the caller's transaction, each in a savepoint; what each returned or
    raised. A failure of the database itself propagates and fails the batch."""
    # Plain SAVEPOINT statements (on SQLite straight to the driver): SQLAlchemy's nested
    # transactions compile a new clause each time, which costs more than a small job. The
    # name is the same for every job; each is released or rolled back before the next.
    driver = connection.connection.driver_connection
    execute = (
        driver.execute if isinstance(driver, sqlite3.Connection) else connection.exec_driver_sql
    )
    outcomes: list[Outcome] = []
    for job in jobs:
        execute("SAVEPOINT sharekit_job")
        try:
            value = job(connection)
        except _FATAL:
            raise
        except Exception as exc:
            execute("ROLLBACK TO SAVEPOINT sharekit_job")
            execute("RELEASE SAVEPOINT sharekit_job")
            outcomes.append((False, exc))
        else:
            execute("RELEASE SAVEPOINT sharekit_job")
            outcomes.append((True, value))
    return outcomes


@dataclass
class _Queue:
    jobs: list[tuple[Job, asyncio.Future[Any]]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


class GroupCommit:
    """Queues jobs and hands them, in batches of at most ``max_batch``, to ``execute``
    (which runs them in one transaction and commits, or raises for the whole batch).

    One drain task per event loop runs while jobs wait and ends when the queue is empty;
    a caller that is cancelled does not stop it, so the batch it was in still commits.
    """

    def __init__(
        self,
        execute: Callable[[Sequence[Job]], Awaitable[list[Outcome]]],
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._execute = execute
        self._max_batch = max_batch
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = (
            weakref.WeakKeyDictionary()
        )

    async def run(self, job: Callable[[Connection], T]) -> T:
        """Queue ``job``; its result once its batch has committed."""
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue()
        future: asyncio.Future[T] = loop.create_future()
        queue.jobs.append((job, future))
        if queue.task is None:
            queue.task = loop.create_task(self._drain(queue), name="sharekit-group-commit")
        return await future

    async def _drain(self, queue: _Queue) -> None:
        try:
            while queue.jobs:
                batch = queue.jobs[: self._max_batch]
                del queue.jobs[: self._max_batch]
                try:
                    outcomes = await self._execute([job for job, _ in batch])
                except Exception as exc:
                    outcomes = [(False, exc)] * len(batch)
                for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                    if future.done():  # its caller gave up waiting
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        finally:
            queue.task = None
            for _, future in queue.jobs:  # only when the drain itself was cancelled
                if not future.done():
                    future.cancel()
            queue.jobs.clear()

    async def wait_idle(self) -> None:
        """Until this loop's queue has drained (for shutting down)."""
        queue = self._queues.get(asyncio.get_running_loop())
        if queue is not None and queue.task is not None:
            await asyncio.shield(queue.task)
