"""SQLite checkpoints in a thread of their own, so that commits never wait for them.

In WAL mode every commit appends pages to the ``-wal`` file, and a checkpoint copies them
back into the database file, syncing both files to disk. SQLite runs it by itself inside
the COMMIT that takes the log past 1,000 pages. The group commit runs in the event loop,
so that checkpoint, two ``fdatasync`` calls and a thousand page writes, stopped every
request of the process. Measured with ``bench/comments.py``'s posting runs, alternating:
1,029-1,088 comments/s that way, 1,125-1,170/s with checkpoints in their own thread.

Here the writer's own checkpoints are off and a :class:`Checkpointer` runs a ``PASSIVE``
checkpoint on its own connection after commits, at most one at a time, in a thread that
holds no lock the writer needs (SQLite lets a writer append while a checkpoint copies).

A log can only start over from its beginning when a checkpoint has copied everything in
it. Under a steady stream of commits a checkpoint in another thread may never see the log
still, so when the log passes ``limit`` pages (4,000: 16 MB of 4 KiB pages) the writer
checkpoints once more itself, right after its next commit, as SQLite would have.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["Checkpointer"]

logger = logging.getLogger("sharekit.storage")


class Checkpointer:
    """Checkpoints of the SQLite file at ``path``, at most one every ``interval`` seconds.

    Call :meth:`committed` after each commit of the writer connection (which has
    ``PRAGMA wal_autocheckpoint=0``); when it returns ``True`` the writer checkpoints
    itself, then :meth:`caught_up` tells what it found.
    """

    def __init__(self, path: str, interval: float = 0.05, limit: int = 4000) -> None:
        self.path = path
        self.interval = interval
        self.limit = limit
        self._executor: ThreadPoolExecutor | None = None
        self._running: Future[None] | None = None
        self._connection: sqlite3.Connection | None = None
        self._started = 0.0
        self._behind = False

    def committed(self) -> bool:
        """After a commit: start a checkpoint in the thread if it is time; ``True`` when
        the log has grown past ``limit`` pages and the writer should checkpoint now."""
        if self._behind:
            return True
        now = time.monotonic()
        if (self._running is None or self._running.done()) and now - self._started >= (
            self.interval
        ):
            self._started = now
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="sharekit-checkpoint")
            self._running = self._executor.submit(self._checkpoint)
        return False

    def caught_up(self, result: tuple[int, int, int] | None) -> None:
        """What the writer's own ``PRAGMA wal_checkpoint`` returned: once it has copied the
        whole log, the writer's next transaction starts the log over."""
        if result is None:
            return
        busy, log, copied = result
        self._behind = busy != 0 or copied < log  # blocked, or a reader holds pages back

    def _checkpoint(self) -> None:
        try:
            # Only ever used in the one thread of the executor (``close`` stops it first).
            if self._connection is None:
                self._connection = sqlite3.connect(
                    self.path, check_same_thread=False, isolation_level=None, timeout=0
                )
            row = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            # Commits went on while it copied, so the log did not start over: past the
            # limit, the writer checkpoints itself between two of its transactions.
            if row is not None and row[1] > self.limit:
                self._behind = True
        except sqlite3.Error as exc:  # the next commit tries again
            logger.warning("SQLite checkpoint failed: %s", exc)

    def wait(self) -> None:
        """Until the checkpoint that is running (if any) has finished."""
        running = self._running
        if running is not None:
            running.result()

    def close(self) -> None:
        """Finish the running checkpoint, stop the thread, close the connection."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None
