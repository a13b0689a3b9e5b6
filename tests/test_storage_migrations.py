"""Migrations: a fresh database reaches head, twice is a no-op, and the migrated schema is
exactly what ``tables.py`` describes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import importlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection

from sharekit.errors import ConfigurationError
from sharekit.storage import migrate
from sharekit.storage.database import Database
from sharekit.storage.shares import ShareCounts
from sharekit.storage.tables import metadata, share_events
from tests.test_storage_comments import database_url

pytestmark = pytest.mark.anyio

TABLES = {
    "alembic_version",
    "comments",
    "outbox",
    "rate_events",
    "share_events",
    "sites",
    "subscriptions",
    "threads",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", "postgres"])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with database_url(request.param, tmp_path) as database_url_:
        yield database_url_


@pytest.fixture
async def database(url: str) -> AsyncIterator[Database]:
    db = Database(url)
    try:
        yield db
    finally:
        await db.close()


async def table_names(database: Database) -> set[str]:
    async with database.engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


def differences(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


async def test_upgrade_creates_every_table(database: Database) -> None:
    assert await migrate.current(database) is None
    await migrate.upgrade(database)
    assert await table_names(database) == TABLES
    assert await migrate.current(database) == migrate.head() == "0003"


async def test_upgrade_twice_is_a_no_op(database: Database) -> None:
    await migrate.upgrade(database)
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        await migrate.upgrade(database)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
    assert not [s for s in statements if s.lstrip().upper().startswith(("CREATE", "ALTER"))]
    assert await migrate.current(database) == migrate.head()


async def test_models_and_migrated_schema_agree(database: Database) -> None:
    await migrate.upgrade(database)
    async with database.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_downgrade_to_base_and_back(database: Database) -> None:
    await migrate.upgrade(database)

    def downgrade(connection: Connection) -> None:
        config = migrate.alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    async with database.engine.begin() as connection:
        await connection.run_sync(downgrade)
    assert await table_names(database) == {"alembic_version"}
    assert await migrate.current(database) is None
    await migrate.upgrade(database)
    assert await table_names(database) == TABLES


async def test_ready_migrates_once_for_concurrent_callers(database: Database) -> None:
    creates: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("CREATE TABLE"):
            creates.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        results = await asyncio.gather(
            *(database.ready() for _ in range(5)), return_exceptions=True
        )
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
    assert results == [database.engine] * 5
    assert len(creates) == len(TABLES)


async def test_several_processes_upgrade_at_once(url: str) -> None:
    """Separate engines stand in for separate workers: the lock lets one migrate."""
    databases = [Database(url) for _ in range(4)]
    try:
        # gather, not a task group: a failure must show, not cancel the others mid-query.
        results = await asyncio.gather(
            *(migrate.upgrade(database) for database in databases), return_exceptions=True
        )
        assert results == [None] * len(databases)
        assert await migrate.current(databases[0]) == migrate.head()
        async with databases[0].engine.connect() as connection:
            versions = (await connection.execute(text("SELECT * FROM alembic_version"))).all()
        assert len(versions) == 1
    finally:
        for database in databases:
            await database.close()


async def test_without_auto_migrate_a_behind_schema_is_a_configuration_error(url: str) -> None:
    database = Database(url, auto_migrate=False)
    try:
        with pytest.raises(ConfigurationError) as caught:
            await database.ready()
        assert str(caught.value) == (
            "the database schema is at revision none (empty database), sharekit needs 0003: "
            "run `sharekit migrate`"
        )
        assert await table_names(database) == set()
        await migrate.upgrade(database)
        await database.ready()
    finally:
        await database.close()


async def test_a_revision_from_a_newer_sharekit_is_refused(database: Database) -> None:
    await migrate.upgrade(database)
    async with database.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    with pytest.raises(ConfigurationError, match="revision ffff, which this version"):
        await database.ready()
    checking = Database(database.url.render_as_string(hide_password=False), auto_migrate=False)
    try:
        with pytest.raises(ConfigurationError, match="revision ffff, which this version"):
            await checking.ready()
    finally:
        await checking.close()


async def test_a_database_from_before_migrations_is_adopted(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(share_events.create)
        await connection.execute(
            share_events.insert().values(
                site="blog", url="https://blog.example/", network="x", day=date.today(), client="c"
            )
        )
    counts = ShareCounts(database)
    assert await counts.counts("blog", "https://blog.example/") == {"x": 1}  # ready() migrated
    assert await migrate.current(database) == migrate.head()
    async with database.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


def test_the_alembic_command_line_path_works_on_a_url(tmp_path: Path) -> None:
    """What ``alembic upgrade head`` with a ``sqlalchemy.url`` would do."""
    path = tmp_path / "cli.db"
    command.upgrade(migrate.alembic_config(f"sqlite+aiosqlite:///{path}"), "head")
    with sqlite3.connect(path) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    connection.close()
    assert names >= TABLES
    assert version == ("0003",)


def test_offline_mode_prints_the_sql(capsys: pytest.CaptureFixture[str]) -> None:
    command.upgrade(migrate.alembic_config("postgresql+asyncpg://localhost/x"), "head", sql=True)
    script = capsys.readouterr().out
    assert "CREATE TABLE comments" in script
    assert "CONSTRAINT uq_comments_duplicate UNIQUE" in script


def test_migrations_ship_inside_the_package_and_env_is_import_safe() -> None:
    assert migrate.MIGRATIONS.parent == Path(migrate.__file__).parent
    assert (migrate.MIGRATIONS / "env.py").is_file()
    assert (migrate.MIGRATIONS / "script.py.mako").is_file()
    # A plain import (pytest's doctest collection does one) must not try to migrate.
    importlib.import_module("sharekit.storage.migrations.env")
