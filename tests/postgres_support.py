"""A PostgreSQL database of its own for a test or a bench run, dropped afterwards.

The server is the one at 127.0.0.1:5432 (``SHAREKIT_TEST_POSTGRES`` names another). Without
it, tests skip, unless ``CI=true``: CI must test PostgreSQL, so there they fail. The bench
scripts use :func:`new_database` too and see :class:`PostgresUnavailable`.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from typing import NoReturn

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

__all__ = [
    "PG_SERVER",
    "PostgresUnavailable",
    "async_database",
    "database",
    "new_database",
    "unavailable",
]

PG_SERVER = os.environ.get(
    "SHAREKIT_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432"
).rstrip("/")


class PostgresUnavailable(RuntimeError):
    """No database could be made on the PostgreSQL server."""


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it when ``CI=true``."""
    import pytest  # only tests get here; the bench scripts need no pytest

    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so the PostgreSQL tests must run")
    pytest.skip(reason)


async def _admin(statement: str) -> None:
    engine = create_async_engine(
        f"{PG_SERVER}/postgres",
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"timeout": 5},
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _create(prefix: str) -> str:
    name = f"{prefix}_{secrets.token_hex(6)}"
    try:
        await _admin(f'CREATE DATABASE "{name}"')
    except (OSError, SQLAlchemyError) as exc:
        raise PostgresUnavailable(f"PostgreSQL at {PG_SERVER} is not reachable: {exc}") from exc
    return name


async def _drop(name: str) -> None:
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def new_database(prefix: str = "sk") -> AsyncIterator[str]:
    """The URL of a fresh database; raises :class:`PostgresUnavailable` without a server."""
    name = await _create(prefix)
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        await _drop(name)


@asynccontextmanager
async def async_database(prefix: str = "sk") -> AsyncIterator[str]:
    """:func:`new_database` for async tests: skips (or fails in CI) without a server."""
    async with AsyncExitStack() as stack:
        try:
            url = await stack.enter_async_context(new_database(prefix))
        except PostgresUnavailable as exc:
            unavailable(str(exc))
        yield url


@contextmanager
def database(prefix: str = "sk") -> Iterator[str]:
    """:func:`new_database` for synchronous tests (a ``TestClient`` runs its own loop)."""
    try:
        name = asyncio.run(_create(prefix))
    except PostgresUnavailable as exc:
        unavailable(str(exc))
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        asyncio.run(_drop(name))
