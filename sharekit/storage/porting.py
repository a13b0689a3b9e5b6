"""The storage side of ``sharekit export`` and ``sharekit import``.

Export reads every row in one snapshot, in an order that does not depend on when rows were
written or on the database's collation, and streams it: nothing is held in memory but the
row at hand. Import writes in batches, each batch one transaction (a write job of the group
commit): an interrupted import leaves whole batches or nothing, and the ``source`` column
lets a re-run find what the last one wrote.

The rows themselves are in :mod:`.porting_rows` and re-exported here; how a batch is
written (replies attached as the live service attaches them) is :mod:`.porting_writer`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from .database import Database
from .jobs import WITH_THREAD, record
from .porting_rows import (
    Batch,
    BatchResult,
    DuplicateKey,
    ExportRow,
    ShareCount,
    SiteRow,
    SubscriptionRow,
    ThreadRow,
)
from .porting_writer import BatchWriter
from .tables import comments, share_events, sites, subscriptions, threads

__all__ = ["PortingStore"]


def _binary(column: Any, dialect: str) -> Any:
    """Order strings by code point on every dialect (PostgreSQL's default collation
    would not), so an export lists rows the same way whatever database it came from."""
    return column.collate("C") if dialect == "postgresql" else column


class PortingStore:
    """Export and import of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # -- export ------------------------------------------------------------------------

    async def rows(self, site: str | None = None) -> AsyncIterator[ExportRow]:
        """Every site, thread, comment, reply subscription and share count (of ``site``
        only, when given), in that order, each kind in a stable order: sites by key,
        threads by site and key, comments by id (a parent always has a smaller id than
        its replies), subscriptions by thread and address, share counts by page, network
        and day. One read transaction, so the rows are one consistent snapshot."""
        if not self.database.created():
            return
        dialect = self.database.dialect

        def c(column: Any) -> Any:
            return _binary(column, dialect)

        def of_site(column: Any) -> list[ColumnElement[bool]]:
            return [] if site is None else [column == site]

        async with self.database.reading() as connection:
            if dialect == "postgresql":
                await connection.execution_options(isolation_level="REPEATABLE READ")
            query: Any = select(sites).where(*of_site(sites.c.key)).order_by(c(sites.c.key))
            async for row in await connection.stream(query):
                yield SiteRow(row.key, row.created_at)
            query = (
                select(threads)
                .where(*of_site(threads.c.site))
                .order_by(c(threads.c.site), c(threads.c.key))
            )
            async for row in await connection.stream(query):
                yield ThreadRow(row.site, row.key, row.url, row.title, row.created_at)
            query = WITH_THREAD.where(*of_site(threads.c.site)).order_by(comments.c.id)
            async for row in await connection.stream(query):
                yield record(row)
            async for subscription in self._subscriptions(connection, site):
                yield subscription
            async for shares in self._shares(connection, site):
                yield shares

    async def _subscriptions(
        self, connection: AsyncConnection, site: str | None
    ) -> AsyncIterator[SubscriptionRow]:
        dialect = self.database.dialect
        query = (
            select(
                threads.c.site,
                threads.c.key,
                subscriptions.c.email,
                subscriptions.c.created_at,
                subscriptions.c.confirmed_at,
            )
            .join(threads, threads.c.id == subscriptions.c.thread_id)
            .where(*([] if site is None else [threads.c.site == site]))
            .order_by(
                _binary(threads.c.site, dialect),
                _binary(threads.c.key, dialect),
                _binary(subscriptions.c.email, dialect),
            )
        )
        async for row in await connection.stream(query):
            yield SubscriptionRow(row.site, row.key, row.email, row.created_at, row.confirmed_at)

    async def _shares(
        self, connection: AsyncConnection, site: str | None
    ) -> AsyncIterator[ShareCount]:
        dialect = self.database.dialect
        columns = (
            share_events.c.site,
            share_events.c.url,
            share_events.c.network,
            share_events.c.day,
        )
        query = (
            select(*columns, func.count().label("count"))
            .where(*([] if site is None else [share_events.c.site == site]))
            .group_by(*columns)
            .order_by(*(_binary(column, dialect) for column in columns[:3]), columns[3])
        )
        async for row in await connection.stream(query):
            yield ShareCount(row.site, row.url, row.network, row.day, int(row[4]))

    # -- import: reading ---------------------------------------------------------------

    async def comment_count(self) -> int:
        """How many comments the database holds (0 for a database not created yet)."""
        if not self.database.created():
            return 0
        async with self.database.reading() as connection:
            return int((await connection.execute(select(func.count(comments.c.id)))).scalar_one())

    async def imported(self, sources: Sequence[str]) -> dict[str, int]:
        """The stored comments with these sources: source → id."""
        wanted = list(dict.fromkeys(sources))
        if not wanted or not self.database.created():
            return {}
        query = select(comments.c.source, comments.c.id).where(comments.c.source.in_(wanted))
        async with self.database.reading() as connection:
            return {row.source: int(row.id) for row in await connection.execute(query)}

    async def same(self, keys: Sequence[tuple[int, str, str, datetime]]) -> set[int]:
        """Of ``(id, site, thread key, created_at)``, the ids whose stored comment has that
        site, thread and time: the same comment, written by an earlier run or still there
        in the database an export came from."""
        wanted = {key[0]: key for key in keys}
        if not wanted or not self.database.created():
            return set()
        query = (
            select(comments.c.id, threads.c.site, threads.c.key, comments.c.created_at)
            .join(threads, threads.c.id == comments.c.thread_id)
            .where(comments.c.id.in_(list(wanted)))
        )
        async with self.database.reading() as connection:
            rows = (await connection.execute(query)).all()
        return {
            int(row.id)
            for row in rows
            if wanted[int(row.id)][1:] == (row.site, row.key, row.created_at)
        }

    async def duplicates(self, keys: Sequence[DuplicateKey]) -> dict[DuplicateKey, int]:
        """The stored comments that ``uq_comments_duplicate`` would refuse these as."""
        wanted = list(dict.fromkeys(keys))
        if not wanted or not self.database.created():
            return {}
        pages = list({(site, thread) for site, thread, _, _ in wanted})
        async with self.database.reading() as connection:
            found = await connection.execute(
                select(threads.c.id, threads.c.site, threads.c.key).where(
                    tuple_(threads.c.site, threads.c.key).in_(pages)
                )
            )
            page_of = {int(row.id): (row.site, row.key) for row in found}
            thread_of = {page: thread_id for thread_id, page in page_of.items()}
            # By thread id, so both dialects read the unique index itself.
            triples = [
                (thread_of[(site, thread)], author_key, text)
                for site, thread, author_key, text in wanted
                if (site, thread) in thread_of
            ]
            if not triples:
                return {}
            columns = comments.c.thread_id, comments.c.author_key, comments.c.text_hash
            rows = (
                await connection.execute(
                    select(comments.c.id, *columns).where(tuple_(*columns).in_(triples))
                )
            ).all()
        return {
            (*page_of[int(row.thread_id)], row.author_key, row.text_hash): int(row.id)
            for row in rows
        }

    # -- import: writing ---------------------------------------------------------------

    async def write(self, batch: Batch) -> BatchResult:
        """Write one batch in one transaction; per comment its new id or a :class:`Conflict`.

        Threads that exist keep their url and title and get a new version (caches in a
        running service see the new comments). Comments go in order, so a reply may name
        its parent by its index in the batch.
        """
        return await self.database.write(lambda connection: BatchWriter(connection, batch).run())
