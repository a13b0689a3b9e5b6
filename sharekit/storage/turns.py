"""Small reads shared by the requests an event loop handles in one turn.

A busy listing asks the database for its thread's version on every request, and under load
one turn of the loop starts several of them (with 50 connections, about one request in six
still reads). Reading the version once per turn is exactly as
fresh as reading it for each request:

- The loop runs what is scheduled in the order it was scheduled. When a turn first reads a
  value it also schedules that value's removal, at that moment.
- A request that arrives later is scheduled after the removal, so it reads the database
  afresh.
- A request that finds the value arrived before it was read: the answer reflects the
  database as it was after the request came in, as a read of its own would.

A commit made by this process may happen in the middle of a turn, without the loop moving on
(SQLite's group commit runs in the loop when the write lock is free). :func:`committed`,
called after every commit, makes every cache in the process drop what it read before.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Hashable
from typing import Any

__all__ = ["TurnCache", "committed"]

_commits = itertools.count(1)
_last_commit = 0


def committed() -> None:
    """Note that this process committed a write: values read before it are not used again."""
    global _last_commit
    _last_commit = next(_commits)


class TurnCache:
    """Values read during the current turn of the running event loop.

    Each thread runs at most one loop at a time, so each thread keeps its own turn (the
    service's loop and the template tags' background loop never share a value)::

        cache = TurnCache()
        found = cache.get(key)
        if found is None:
            found = read()
            cache.put(key, found)
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def _values(self, loop: asyncio.AbstractEventLoop) -> dict[Hashable, Any] | None:
        turn: tuple[asyncio.AbstractEventLoop, int, dict[Hashable, Any]] | None = getattr(
            self._local, "turn", None
        )
        if turn is None or turn[0] is not loop or turn[1] != _last_commit:
            return None
        return turn[2]

    def get(self, key: Hashable) -> Any | None:
        """The value put under ``key`` during this turn, else ``None``."""
        values = self._values(asyncio.get_running_loop())
        return None if values is None else values.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` (not ``None``) until the loop has run what is scheduled now."""
        loop = asyncio.get_running_loop()
        values = self._values(loop)
        if values is None:
            values = {}
            self._local.turn = (loop, _last_commit, values)
            loop.call_soon(self._end, values)
        values[key] = value

    def _end(self, values: dict[Hashable, Any]) -> None:
        turn = getattr(self._local, "turn", None)
        if turn is not None and turn[2] is values:
            self._local.turn = None
