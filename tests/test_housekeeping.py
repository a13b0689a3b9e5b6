"""Housekeeping: expired client keys go at start, hourly, and after posts when overdue."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from sharekit import Settings, Site, create_app
from sharekit.housekeeping import INTERVAL, Housekeeping
from sharekit.storage.comments import CommentStore
from sharekit.storage.database import Database

pytestmark = pytest.mark.anyio
SECRET = "test-secret-key-0123456789abcdef"
OLD = "2020-01-01 00:00:00.000000"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def settings_for(tmp_path: Path, **extra: object) -> Settings:
    return Settings(
        secret_key=SECRET,
        data_dir=tmp_path,
        sites=[Site(key="blog", origins=["https://blog.example"])],
        **extra,  # type: ignore[arg-type]
    )


def old_events(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "sharekit.db") as connection:
        return int(connection.execute("SELECT count(*) FROM rate_events").fetchone()[0])


async def test_run_erases_only_what_is_older_than_the_retention(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, client_key_retention_days=7)
    database = Database(settings.database_url)
    store = CommentStore(database)
    now = datetime(2026, 5, 10, tzinfo=UTC)
    try:
        await store.hit("comment", "old", now - timedelta(days=8))
        await store.hit("comment", "recent", now - timedelta(days=6))
        keeper = Housekeeping(settings, store)
        assert keeper.due()
        assert await keeper.run(now) == 1
        assert not keeper.due()
        assert await store.hits("comment", "recent", now - timedelta(days=30)) == 1
        assert await store.hits("comment", "old", now - timedelta(days=30)) == 0
    finally:
        await database.close()


async def test_run_deletes_held_comments_spam_and_unconfirmed_subscriptions(
    tmp_path: Path,
) -> None:
    from tests.test_storage_comments import comment_values

    settings = settings_for(
        tmp_path, comments_pending_retention_days=30, comments_spam_retention_days=7
    )
    database = Database(settings.database_url)
    store = CommentStore(database)
    now = datetime(2026, 5, 10, tzinfo=UTC)

    async def add(text: str, status: str, age_days: int, **extra: object) -> int:
        values = comment_values(text, status=status, at=now - timedelta(days=age_days))
        return (await store.add(**{**values, **extra})).id  # type: ignore[arg-type]

    try:
        old_held = await add("held 31 days", "pending", 31, subscribe=True)
        young_held = await add("held 29 days", "pending", 29)
        old_spam = await add("spam 8 days", "spam", 8)
        young_spam = await add("spam 6 days", "spam", 6)
        shown = await add("shown long ago", "approved", 400)
        # The client keys of the 4 comments older than 7 days (the retention of network
        # hashes), 2 comments, 1 unconfirmed subscription (older than the link's life).
        assert await Housekeeping(settings, store).run(now) == 4 + 2 + 1
        for gone in (old_held, old_spam):
            assert await store.get(gone) is None
        for kept in (young_held, young_spam, shown):
            assert await store.get(kept) is not None
    finally:
        await database.close()


async def test_start_if_due_runs_once_per_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(tmp_path)
    database = Database(settings.database_url)
    store = CommentStore(database)
    runs: list[datetime | None] = []

    async def counting(now: datetime | None = None) -> int:
        runs.append(now)
        return 0

    keeper = Housekeeping(settings, store)
    monkeypatch.setattr(keeper, "run", counting)
    clock = [1000.0]
    monkeypatch.setattr("sharekit.housekeeping.time.monotonic", lambda: clock[0])
    try:
        keeper.start_if_due()
        keeper.start_if_due()
        await asyncio.sleep(0)
        assert len(runs) == 1
        clock[0] += INTERVAL - 1
        keeper.start_if_due()
        await asyncio.sleep(0)
        assert len(runs) == 1
        clock[0] += 1
        keeper.start_if_due()
        await asyncio.sleep(0)
        assert len(runs) == 2
    finally:
        await database.close()


async def test_a_failing_run_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(tmp_path, database_url="postgresql+asyncpg://u:pw@127.0.0.1:1/x")
    database = Database(settings.database_url, auto_migrate=True)
    keeper = Housekeeping(settings, CommentStore(database))
    try:
        keeper.start_if_due()
        assert keeper._running is not None
        assert await keeper._running == 0
    finally:
        await database.close()
    assert "database is not reachable" in caplog.text
    assert "pw" not in caplog.text


def test_the_app_purges_when_it_starts(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    database = Database(settings.database_url)

    async def migrate() -> None:
        await database.ready()
        await database.close()

    asyncio.run(migrate())
    with sqlite3.connect(tmp_path / "sharekit.db") as connection:
        connection.execute(
            "INSERT INTO rate_events (client_key, kind, created_at) VALUES ('k', 'comment', ?)",
            (OLD,),
        )
    assert old_events(tmp_path) == 1
    with TestClient(create_app(settings)) as client:
        for _ in range(100):
            if old_events(tmp_path) == 0:
                break
            client.get("/healthz")
    assert old_events(tmp_path) == 0
