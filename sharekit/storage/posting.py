"""The statements of the posting path, prepared once per dialect.

Posting a comment runs five small statements. On SQLite, SQLAlchemy's work around each
(building it, its cache key, binding and reading back typed values) costs several times
what SQLite spends on it, so there they are plain SQL handed to the driver, with times
written in the same text form SQLAlchemy uses for this schema. PostgreSQL gets the same
statements as SQLAlchemy Core. Both run the one storage contract suite.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable

from .errors import TooManyComments
from .tables import comments, rate_events, sites, threads

__all__ = ["FLOOD_KIND", "FloodLimit", "PostingStatements", "check_flood"]

FLOOD_KIND = "comment"


@dataclass(frozen=True)
class FloodLimit:
    """At most ``count`` comments per client key in any ``seconds``."""

    count: int
    seconds: int


_COMMENT_COLUMNS = (
    "thread_id",
    "parent_id",
    "root_id",
    "depth",
    "author",
    "email",
    "author_key",
    "website",
    "text",
    "html",
    "status",
    "created_at",
    "client_key",
    "consent_at",
    "text_hash",
)


@dataclass(frozen=True)
class PostingStatements:
    """Each statement as SQL text (SQLite) or a SQLAlchemy statement (PostgreSQL)."""

    add_site: Executable | str
    touch_thread: Executable | str
    add_comment: Executable | str
    add_event: Executable | str
    recent_events: Executable | str
    lock_client: Executable | None

    @classmethod
    def build(cls, dialect: str) -> PostingStatements:
        if dialect == "sqlite":
            return cls._sqlite()
        insert = postgresql.insert
        return cls(
            add_site=insert(sites).on_conflict_do_nothing(),
            touch_thread=insert(threads)
            .on_conflict_do_update(
                index_elements=[threads.c.site, threads.c.key],
                set_={"version": threads.c.version + 1},
            )
            .returning(threads.c.id),
            add_comment=comments.insert().returning(comments.c.id),
            add_event=rate_events.insert(),
            recent_events=select(rate_events.c.created_at)
            .where(
                rate_events.c.kind == bindparam("kind"),
                rate_events.c.client_key == bindparam("client_key"),
                rate_events.c.created_at > bindparam("since"),
            )
            .order_by(rate_events.c.created_at.desc())
            .limit(bindparam("most", type_=Integer)),
            # One transaction per client key at a time, in every process.
            lock_client=select(
                func.pg_advisory_xact_lock(func.hashtextextended(bindparam("client_key"), 0))
            ),
        )

    @classmethod
    def _sqlite(cls) -> PostingStatements:
        names = ", ".join(_COMMENT_COLUMNS)
        values = ", ".join(f":{name}" for name in _COMMENT_COLUMNS)
        return cls(
            add_site='INSERT INTO sites ("key", created_at) VALUES (:key, :created_at) '
            "ON CONFLICT DO NOTHING",
            # Insert or touch in one statement: the first url and title stay, the version
            # goes up (SQLite's write lock already orders the writers).
            touch_thread='INSERT INTO threads (site, "key", url, title, created_at) '
            "VALUES (:site, :key, :url, :title, :created_at) "
            'ON CONFLICT (site, "key") DO UPDATE SET version = threads.version + 1 '
            "RETURNING id",
            # Column names from the constant above, values bound: no input in the SQL text.
            add_comment=f"INSERT INTO comments ({names}) VALUES ({values}) RETURNING id",  # noqa: S608
            add_event="INSERT INTO rate_events (client_key, kind, created_at) "
            "VALUES (:client_key, :kind, :created_at)",
            recent_events="SELECT created_at FROM rate_events WHERE kind = :kind "
            "AND client_key = :client_key AND created_at > :since "
            "ORDER BY created_at DESC LIMIT :most",
            lock_client=None,
        )

    def run(
        self, connection: Connection, statement: Executable | str, params: Mapping[str, Any]
    ) -> Rows:
        """Execute one of the statements with ``params`` (aware datetimes are fine); the
        rows it returned."""
        if not isinstance(statement, str):
            result = connection.execute(statement, dict(params))
            return result.all() if result.returns_rows else []
        plain = {
            key: _sqlite_time(value) if isinstance(value, datetime) else value
            for key, value in params.items()
        }
        # The driver's own connection, inside the transaction SQLAlchemy's holds; its
        # errors become SQLAlchemy's, as if SQLAlchemy had run the statement.
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        try:
            return driver.execute(statement, plain).fetchall()
        except sqlite3.Error as exc:
            raise DBAPIError.instance(statement, plain, exc, sqlite3.Error) from exc


Rows = Sequence[Sequence[Any]]


def _sqlite_time(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME text: naive UTC, always six digits of microseconds.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _as_time(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite through the plain driver
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def check_flood(
    connection: Connection,
    statements: PostingStatements,
    client_key: str,
    now: datetime,
    limits: Sequence[FloodLimit],
) -> None:
    """Raise :class:`TooManyComments` when a limit is reached. Reads at most the newest
    ``max(limit)`` events of this client, however many it has."""
    if statements.lock_client is not None:
        connection.execute(statements.lock_client, {"client_key": client_key})
    longest = max(limit.seconds for limit in limits)
    params = {
        "kind": FLOOD_KIND,
        "client_key": client_key,
        "since": now - timedelta(seconds=longest),
        "most": max(limit.count for limit in limits),
    }
    newest = [
        _as_time(row[0]) for row in statements.run(connection, statements.recent_events, params)
    ]
    for limit in limits:
        window = [at for at in newest if at > now - timedelta(seconds=limit.seconds)]
        if len(window) >= limit.count:
            # Free again when the oldest event that still counts leaves the window.
            oldest = window[limit.count - 1]
            wait = limit.seconds - (now - oldest).total_seconds()
            raise TooManyComments(retry_after=max(1, math.ceil(wait)))
