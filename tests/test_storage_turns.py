"""Reads shared within one turn of the event loop: only by requests that arrived before
the read, never across a commit, a turn, a thread or another loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from sharekit.storage.comments import CommentStore
from sharekit.storage.database import Database
from sharekit.storage.turns import TurnCache, committed

from .test_storage_comments import comment_values

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_value_lasts_until_the_loop_has_run_what_was_scheduled_before_it() -> None:
    cache = TurnCache()
    seen: dict[str, object] = {}

    async def look(name: str) -> None:
        seen[name] = cache.get("key")

    earlier = asyncio.create_task(look("earlier"))  # arrived before the read
    assert cache.get("key") is None
    cache.put("key", "v1")
    assert cache.get("key") == "v1"
    later = asyncio.create_task(look("later"))  # arrived after it
    await asyncio.gather(earlier, later)
    assert seen == {"earlier": "v1", "later": None}
    assert cache.get("key") is None  # a new turn reads afresh


async def test_a_commit_of_this_process_ends_the_sharing_at_once() -> None:
    cache = TurnCache()
    cache.put("key", "v1")
    committed()
    assert cache.get("key") is None
    cache.put("key", "v2")  # what is read after the commit is shared again
    assert cache.get("key") == "v2"


async def test_other_threads_and_their_loops_never_see_the_value() -> None:
    cache = TurnCache()
    cache.put("key", "v1")
    found: list[object] = []

    async def look() -> None:
        found.append(cache.get("key"))
        cache.put("key", "theirs")
        found.append(cache.get("key"))

    thread = threading.Thread(target=lambda: asyncio.run(look()))
    thread.start()
    thread.join()
    assert found == [None, "theirs"]
    assert cache.get("key") == "v1"


def test_a_new_loop_in_the_same_thread_starts_afresh() -> None:
    cache = TurnCache()

    async def put() -> None:
        cache.put("key", "v1")

    async def get() -> object:
        return cache.get("key")

    asyncio.run(put())  # its loop closes before the clearing ran
    assert asyncio.run(get()) is None


async def test_thread_versions_are_as_fresh_as_each_request(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'sharekit.db'}")
    store = CommentStore(database)
    try:
        await store.add(**comment_values("first"))
        seen: dict[str, str] = {}

        async def request(name: str) -> None:
            seen[name] = await store.thread_version("blog", "post")

        before = asyncio.create_task(request("arrived before the read"))
        version = await store.thread_version("blog", "post")
        # Another process commits to the thread in the middle of this turn.
        with sqlite3.connect(tmp_path / "sharekit.db") as other:
            other.execute("UPDATE threads SET version = version + 1")
        after = asyncio.create_task(request("arrived after the commit"))
        await asyncio.gather(before, after)
        assert seen["arrived before the read"] == version  # shared: no second read
        assert seen["arrived after the commit"] != version
        assert await store.thread_version("blog", "post") == seen["arrived after the commit"]

        # A write of this process is seen by the next read.
        version = await store.thread_version("blog", "post")
        await store.add(**comment_values("second"))
        assert await store.thread_version("blog", "post") != version
    finally:
        await database.close()
