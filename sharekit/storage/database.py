"""The connection: an async engine that prepares its schema on first use."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from sharekit.errors import ConfigurationError, ServiceUnavailable

from .tables import metadata

__all__ = ["Database"]


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """One engine per app. ``ready()`` creates missing tables once, even if mounted
    inside another app whose lifespan never reaches this one."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except Exception as exc:  # SQLAlchemy raises ArgumentError and friends
            raise ConfigurationError(f"database_url is not a valid URL: {exc}") from exc
        self.dialect = parsed.get_backend_name()
        if self.dialect not in {"sqlite", "postgresql"}:
            raise ConfigurationError("database_url must be a sqlite or postgresql URL")
        if self.dialect == "sqlite" and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(parsed, pool_pre_ping=True)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._ready = False
        self._lock = asyncio.Lock()

    async def ready(self) -> AsyncEngine:
        """The engine, after making sure the schema exists."""
        if not self._ready:
            async with self._lock:
                if not self._ready:
                    try:
                        async with self.engine.begin() as connection:
                            await connection.run_sync(metadata.create_all)
                    except SQLAlchemyError as exc:
                        raise ServiceUnavailable(retry_after=5) from exc
                    self._ready = True
        return self.engine

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
